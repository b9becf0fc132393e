"""Every file condition of every rule, answered from one pass over ``files``.

A file predicate compiles to a correlated ``EXISTS`` over ``files``
(``rules.predicates.FILES_EXIST``). DuckDB answers each with its own scan of ``files``
and a mark join against every torrent: the shipped packs ask fifteen distinct
conditions, one rule five. The flag stage instead runs ``facts_sql`` once: one scan of
``files`` keeps the files meeting any condition (each condition's cheap filter first,
so the regular expressions see few rows) and groups those few by torrent into
``FILE_FACTS``, a column per condition. ``with_facts`` rewrites a rule's candidate or
evidence SQL to read ``coalesce(file_facts.cK, false)`` from ``torrents t`` joined to
that table (``torrents_sql``). Same truth by construction: ``EXISTS`` over the files
meeting a condition holds exactly when ``bool_or`` of it over the torrent's files does
(NULL counting as false in both). A condition reading a torrent column (``t.``) is left
as it was.

Tried and not kept (BENCHMARKS.md, issue 14): filling the evidence's file lists from
the same pass (conditions evidence lists but no rule asks about, file kinds, match
half the files, and ordered list aggregates are slow), or from one pass over the
candidates' files in pass 2 (it cost what it saved: the evidence pass spends its time
building JSON, not in those subqueries).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from rules.predicates import FILES_EXIST

FILE_FACTS = "flag_file_facts"
ALIAS = "file_facts"
_LITERAL = re.compile(r"'(?:[^']|'')*'")
_TORRENT_COLUMN = re.compile(r"(?<![\w.])t\.")


def _blank_literals(sql: str) -> str:
    """``sql`` with the text inside string literals blanked, lengths kept: parentheses
    and words in a pattern are not SQL."""
    return _LITERAL.sub(lambda m: "'" + " " * (len(m.group()) - 2) + "'", sql)


@functools.lru_cache(maxsize=512)
def _spans(sql: str, prefix: str) -> tuple[tuple[int, int, str], ...]:
    """Each ``<prefix><condition>)`` of ``sql`` whose condition reads the file only (no
    torrent column): (start, end, condition). The prefix opens one parenthesis that
    the condition's own balanced parentheses and then one ``)`` close. Kept per text:
    a flag run asks it of every rule's SQL several times (facts, candidates, matches)."""
    blank, blank_prefix = _blank_literals(sql), _blank_literals(prefix)
    found, pos = [], 0
    while (start := blank.find(blank_prefix, pos)) >= 0:
        if not sql.startswith(prefix, start):  # other literals of the same lengths
            pos = start + 1
            continue
        begin = at = start + len(prefix)
        depth = 1
        while depth and at < len(blank):
            depth += {"(": 1, ")": -1}.get(blank[at], 0)
            at += 1
        if depth == 0 and not _TORRENT_COLUMN.search(blank[begin : at - 1]):
            found.append((start, at, sql[begin : at - 1]))
        pos = at
    return tuple(found)


def conditions(sqls: Iterable[str]) -> dict[str, str]:
    """Every distinct file condition that ``sqls`` ask ``EXISTS`` of -> its column in
    ``FILE_FACTS`` (``c0``, ``c1``…, in order of first use)."""
    found: dict[str, str] = {}
    for sql in sqls:
        for _, _, condition in _spans(sql, FILES_EXIST):
            found.setdefault(condition, f"c{len(found)}")
    return found


def facts_sql(columns: dict[str, str]) -> str:
    """``FILE_FACTS``: one row per torrent with a non-pad file meeting some condition
    of ``columns`` and, per condition, whether one does; one scan of ``files``."""
    return f"CREATE OR REPLACE TEMP TABLE {FILE_FACTS} AS {facts_query(columns)}"


def facts_query(columns: dict[str, str]) -> str:
    """The query of :func:`facts_sql` alone (what another connection can run)."""
    if not columns:
        return "SELECT NULL::VARCHAR AS infohash WHERE false"
    each = ", ".join(f"bool_or({c}) AS {name}" for c, name in columns.items())
    return (
        f"SELECT f.infohash, {each} FROM files f"
        f" WHERE NOT f.is_pad AND ({_any_sql(list(columns))}) GROUP BY f.infohash"
    )


# ``regexp_matches(<file column>, '<pattern>'[, '<options>'])`` as a whole conjunct.
_REGEX_CONJUNCT = re.compile(r"regexp_matches\((f\.\w+), '((?:[^']|'')*)'(?:, ('(?:[^']|'')*'))?\)")
# Characters of patterns joined into one: RE2 refuses a pattern past its memory budget
# (about 1 MB of alternatives: rules.fuzzy), and a flag run must not fail on it.
UNION_CHARS = 50_000


def _conjuncts(condition: str) -> list[str] | None:
    """The parts of ``condition`` joined by a top-level AND; None when it has a
    top-level OR (it is then no conjunction)."""
    blank = _blank_literals(condition)
    parts, depth, start, at = [], 0, 0, 0
    while at < len(blank):
        char = blank[at]
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and blank.startswith(" OR ", at):
            return None
        if depth == 0 and blank.startswith(" AND ", at):
            parts.append(condition[start:at])
            start = at = at + len(" AND ")
            continue
        at += 1
    parts.append(condition[start:])
    return parts


def _regex_group(condition: str) -> tuple[tuple[tuple[str, ...], str, str], str] | None:
    """((the other conjuncts, the column, the options), the pattern) of a condition that
    is a conjunction with exactly one ``regexp_matches`` of a file column; else None."""
    parts = _conjuncts(condition)
    if parts is None:
        return None
    found = [(i, _REGEX_CONJUNCT.fullmatch(p)) for i, p in enumerate(parts)]
    regexes = [(i, m) for i, m in found if m]
    if len(regexes) != 1:
        return None
    i, match = regexes[0]
    others = tuple(sorted(parts[:i] + parts[i + 1 :]))
    return (others, match.group(1), match.group(3) or ""), match.group(2)


def _any_sql(conditions: list[str]) -> str:
    """``c1 OR c2 OR ...``, written so each file is searched once per group of regular
    expressions instead of once per expression: conditions that differ only in the
    pattern they search one column for (the same other conjuncts, the same options) are
    kept behind one search for any of their patterns, which each of them needs. On the
    shipped packs four conditions search ``path_norm`` of text and image files for words:
    four passes over those paths became one (the same truth: a condition holds only
    where its own pattern, and so the joined one, matches)."""
    groups: dict[tuple, list[tuple[str, str]]] = {}
    alone: list[str] = []
    for condition in conditions:
        grouped = _regex_group(condition)
        if grouped is None:
            alone.append(condition)
        else:
            key, pattern = grouped
            groups.setdefault(key, []).append((condition, pattern))
    parts = [f"({c})" for c in alone]
    for (others, column, options), grouped_members in groups.items():
        members = [c for c, _ in grouped_members]
        patterns = [p for _, p in grouped_members]
        if len(members) < 2 or sum(map(len, patterns)) > UNION_CHARS:
            parts += [f"({c})" for c in members]
            continue
        joined = "|".join(f"(?:{p})" for p in patterns)
        search = f"regexp_matches({column}, '{joined}'{', ' + options if options else ''})"
        need = " AND ".join((*others, search))
        parts.append(f"({need} AND (" + " OR ".join(f"({c})" for c in members) + "))")
    return " OR ".join(parts)


def with_facts(sql: str, columns: dict[str, str]) -> str:
    """``sql`` with each file ``EXISTS`` of ``columns`` read from ``FILE_FACTS`` (alias
    ``file_facts``, joined by ``torrents_sql``) instead."""
    out, last = [], 0
    for start, end, condition in _spans(sql, FILES_EXIST):
        if condition in columns:
            out += [sql[last:start], f"coalesce({ALIAS}.{columns[condition]}, false)"]
            last = end
    return "".join(out) + sql[last:]


def torrents_sql(*sql: str) -> str:
    """``torrents t``, joined to ``FILE_FACTS`` when some of ``sql`` reads it."""
    if any(f"{ALIAS}." in s for s in sql):
        return f"torrents t LEFT JOIN {FILE_FACTS} {ALIAS} ON {ALIAS}.infohash = t.infohash"
    return "torrents t"
