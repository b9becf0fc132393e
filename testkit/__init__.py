"""Data generators for the tests and the benchmarks: a labeled corpus of disguises and
their honest look-alikes, synthetic magnetico exports, a throwaway PostgreSQL server.
Benign and synthetic throughout.

Not part of the product (not installed); may import any layer of it. Tests find it
through pytest's ``pythonpath``, benchmarks through ``bench/kit_path.py``.
"""
