"""The foundation every other package stands on: the error root with its stable codes,
the one reader of input files, the one marked-YAML reader (``marked_yaml``: values with
``file:line:col``), value checks and settings declared as data (``checks``, ``settings``),
text caps, worker processes.

May import: the standard library and third-party libraries only, never another
torrentwatch package. Layers, bottom to top (``tests/test_layers.py`` checks them):
``common`` → ``parsers`` → ``warehouse`` → ``rules`` → ``monitors`` → ``torrentwatch``
(the stage library) → ``torrentwatch.cli``, ``torrentwatch.dag_support`` and ``dags/``.
"""
