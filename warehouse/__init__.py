"""The DuckDB warehouse: connections and migrations, bulk loads and torrent matching,
run bookkeeping, hash-list storage, the guarded read-only query runner.

May import: ``common``, ``parsers``.
"""
