"""`explain`: the active flags of one torrent, in words an analyst can check.

Every sentence is written from the evidence a flag stored when it was raised, so what
an analyst reads is what the rule saw, not a second evaluation. The words for each fact
come from the predicate that wrote it (``Predicate.describe``, found through the
registry by the keyword the fact names), never guessed from the shape of the JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

from common.errors import TorrentNotFound
from parsers.normalize import display_name, display_safe
from rules.predicates import EvidenceContext
from rules.registry import PREDICATES
from warehouse.db import connect

TORRENT_SQL = """\
SELECT name, name_raw, name_alt_raw, total_size, file_count, claimed_platform,
       claimed_category, dominant_kind
FROM torrents WHERE infohash = $infohash OR infohash_v1 = $infohash OR infohash_v2 = $infohash"""

ACTIVE_FLAGS_SQL = """\
SELECT f.rule_id, f.rule_version, f.level, f.evidence, f.status
FROM flags f JOIN torrents t USING (infohash)
WHERE $infohash IN (t.infohash, t.infohash_v1, t.infohash_v2) AND f.active
ORDER BY f.rule_id"""


def _size(n: int | None) -> str:
    if n is None:
        return "unknown size"
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return ""


def _short(value: object) -> object:
    """A long argument list (``exec_or_shortcut`` expands to dozens) cut for reading."""
    if isinstance(value, list) and len(value) > 6:
        return [*value[:6], f"... {len(value) - 6} more"]
    return value


def _unknown_words(values: dict) -> list[str]:
    """Values of a predicate no longer registered (a flag raised by an older version):
    shown as ``key = value`` pairs, since no class is left to read them."""
    return [display_safe(", ".join(f"{key} = {value}" for key, value in values.items()))]


def _predicate_words(keyword: str, args: dict, values: dict, context: EvidenceContext) -> list[str]:
    """The predicate's own words for its values; ``key = value`` pairs only for a
    keyword no longer registered."""
    cls = PREDICATES.get(keyword)
    if cls is None:
        return _unknown_words(values)
    return cls.describe(args, values, context)


def fact_words(fact: dict, context: EvidenceContext) -> list[str]:
    """One fact of a flag's evidence in words: the predicate and its arguments, then
    what the predicate (looked up by the keyword stored with it) says of the values it
    wrote, its files or list matches on indented lines."""
    values = fact["values"] or {}
    args = {k: _short(v) for k, v in fact["args"].items() if v not in ((), [], None)}
    head = f"{'not ' if fact['negated'] else ''}{fact['predicate']} {json.dumps(args)}"
    words = _predicate_words(fact["predicate"], fact["args"], values, context)
    return [f"{head}: {words[0]}", *("    " + line for line in words[1:])]


def fired(evidence: dict) -> list[dict]:
    """The facts that made the rule fire: those that hold (or, under ``not``, do not)."""
    return [fact for fact in evidence["facts"] if fact["holds"] != fact["negated"]]


# After the level of a shadow rule's flag: it is stored, never reviewed or exported.
SHADOW_MARK = ", experimental: a shadow rule, not in review"


def _flag_words(
    rule_id: str,
    version: int,
    level: str,
    evidence: dict,
    context: EvidenceContext,
    status: str | None = "stable",
) -> list[str]:
    """The flag's headline (``Rule <id> v<version> (<level>): <title> — because:``, the
    level followed by ``SHADOW_MARK`` for a shadow rule's flag) and the facts that
    counted (``fired``)."""
    mark = SHADOW_MARK if status == "experimental" else ""
    lines = [f"Rule {rule_id} v{version} ({level}{mark}): {evidence['title']} — because:"]
    for fact in fired(evidence):
        lines.extend("  " + line for line in fact_words(fact, context))
    return lines


def raw_paths(con, infohash: str) -> dict[int, bytes]:
    """The torrent's raw file paths by index, where they differ from libtorrent's text
    (``infohash``: its v1, v2 or key infohash)."""
    return dict(
        con.execute(
            "SELECT f.file_index, f.path_raw FROM files f JOIN torrents t USING (infohash)"
            " WHERE $infohash IN (t.infohash, t.infohash_v1, t.infohash_v2)"
            " AND path_raw IS NOT NULL",
            {"infohash": infohash},
        ).fetchall()
    )


def _has_flags(con) -> bool:
    """A warehouse opened read-only is not migrated: one never flagged may lack the table."""
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'flags'"
    ).fetchone()
    return found[0] > 0


def explain(db: str | Path, infohash: str) -> list[str]:
    """`torrentwatch explain`: the torrent and each active flag on it, in words (lines).

    Raises ``TorrentNotFound`` when no torrent has that v1, v2 or key infohash."""
    key = infohash.strip().lower()
    con = connect(db, read_only=True)
    try:
        row = con.execute(TORRENT_SQL, {"infohash": key}).fetchone()
        if row is None:
            raise TorrentNotFound(f"no torrent with infohash {key!r} in {db}")
        name, name_raw, name_alt_raw, size, files, platform, category, kind = row
        lines = [
            f"Torrent {key}: {display_name(name or '', name_raw, name_alt_raw)}",
            f"  {_size(size)}, {files if files is not None else 'unknown'} file(s), "
            f"claims platform {platform or '-'}, category {category or '-'}; "
            f"most bytes are {kind or '-'}",
        ]
        flags = []
        if _has_flags(con):
            flags = con.execute(ACTIVE_FLAGS_SQL, {"infohash": key}).fetchall()
        context = EvidenceContext(raw_paths(con, key))
    finally:
        con.close()
    if not flags:
        return [*lines, "No active flags."]
    for rule_id, version, level, evidence, status in flags:
        lines.extend(_flag_words(rule_id, version, level, json.loads(evidence), context, status))
    return lines
