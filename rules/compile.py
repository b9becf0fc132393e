"""Rules to SQL: pure functions that return the DuckDB text and run nothing.

``condition_sql`` is the boolean expression over ``torrents t`` (files through
correlated ``EXISTS``); ``rule_sql`` wraps it into the query of the torrents a rule
flags. The loader compiles every rule with these, so a rule that cannot compile
never loads.
"""

from __future__ import annotations

from rules.model import Condition, Rule


def condition_sql(condition: Condition) -> str:
    """The DuckDB boolean expression of ``condition`` over alias ``t`` = torrents."""
    return condition.sql()


def rule_sql(rule: Rule) -> str:
    """``SELECT t.infohash FROM torrents t WHERE <expr>``: the torrents ``rule`` flags."""
    return f"SELECT t.infohash FROM torrents t WHERE {rule.sql}"
