"""The analyst workbench: `torrentwatch serve`, a server-rendered web skin over the review,
explain, export and hash-list stages (docs/workbench.md).

Decisions, accounts, sessions and the audit trail live in a small SQLite store beside
the warehouse, or in the ``--home`` folder of a lake's workbench (``store``, ``home``);
pages read a snapshot of the warehouse that is refreshed whenever the warehouse is free
(``snapshot``), so the workbench keeps answering while a load holds the DuckDB file, and
never holds the file across requests.

May import: every layer below (the stage library and under); nothing imports it but
``torrentwatch.cli``.
"""
