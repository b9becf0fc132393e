"""Gathering: one module per source kind (folder, feed, scrape, fetch, dht, magnetico),
the runner that runs them in worker processes, and the landing zone they write to.

Monitors only gather and land items; loading landed items into the warehouse is the
``monitor`` stage's job (``torrentwatch.monitor_load``).
May import: ``common``, ``parsers``, ``warehouse``, ``rules``.
"""
