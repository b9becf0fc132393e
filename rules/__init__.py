"""The rule language: YAML rule packs compiled to DuckDB SQL over ``torrents``/``files``.

``rules.loader.load_packs`` reads and checks packs (shipped, then the operator's),
``rules.compile.rule_sql`` is the pure SQL twin of a rule, ``rules.schema`` generates
the JSON Schema from the predicate registry, ``rules.testing.rules_test`` runs the
tests that ship with each rule. The language is described in docs/rules.md.
"""
