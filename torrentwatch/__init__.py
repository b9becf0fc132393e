"""The stage library, one module per command: ingest, monitor (and monitor_load),
import_magnetico, hashlist, flag, explain, review, export, query, demo, rule_tests.
The CLI (``torrentwatch.cli``) and the DAGs (``dags/`` with ``torrentwatch.dag_support``)
are thin skins over these functions.

May import: every lower layer (``common``, ``parsers``, ``warehouse``, ``rules``,
``monitors``); never the skins above it.
"""

__version__ = "0.1.0"
