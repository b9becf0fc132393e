"""The foundation every other package stands on: the error root with its stable codes,
the one reader of input files, value checks, text caps, worker processes.

May import: the standard library and third-party libraries only, never another
torrentwatch package. Layers, bottom to top (``tests/test_layers.py`` checks them):
``common`` → ``parsers`` → ``warehouse`` → ``rules`` → ``monitors`` → ``torrentwatch``
(the stage library) → ``torrentwatch.cli``, ``torrentwatch.dag_support`` and ``dags/``.
"""
