"""The rule language: YAML rule packs compiled to DuckDB SQL over ``torrents``/``files``.

``rules.ruleset.load_packs`` reads and checks packs (shipped, then the operator's),
``rules.compile.rule_sql`` is the pure SQL twin of a rule, ``rules.schema`` generates
the JSON Schema from the predicate registry. Running rules over the warehouse is the
``flag`` stage (``torrentwatch.flag``); a pack's own tests run in ``torrentwatch.rule_tests``.
The language is described in docs/rules.md.

May import: ``common``, ``parsers``, ``warehouse``.
"""
