"""`explain`: the active flags of one torrent, in words an analyst can check.

Every sentence is written from the evidence a flag stored when it was raised, so what
an analyst reads is what the rule saw, not a second evaluation.
"""

from __future__ import annotations

import json
from pathlib import Path

from common.errors import TorrentNotFound
from parsers.normalize import client_text, display_name, display_safe
from rules.text_predicates import FuzzyTerms
from warehouse.db import connect

TORRENT_SQL = """\
SELECT name, name_raw, name_alt_raw, total_size, file_count, claimed_platform,
       claimed_category, dominant_kind
FROM torrents WHERE infohash = $infohash OR infohash_v1 = $infohash OR infohash_v2 = $infohash"""

ACTIVE_FLAGS_SQL = """\
SELECT f.rule_id, f.rule_version, f.level, f.evidence
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


def _values_words(values: dict) -> str:
    """Column facts as ``column = value`` (shares as percentages)."""
    parts = []
    for column, value in values.items():
        if column.startswith("share_bytes_") and value is not None:
            value = f"{value:.0%}"
        parts.append(f"{column} = {value}")
    return ", ".join(parts)


def _short(value: object) -> object:
    """A long argument list (``exec_or_shortcut`` expands to dozens) cut for reading."""
    if isinstance(value, list) and len(value) > 6:
        return [*value[:6], f"... {len(value) - 6} more"]
    return value


def _fact_words(fact: dict, raw_paths: dict[int, bytes]) -> list[str]:
    """One fact that made the rule fire, in words, with its files or list matches."""
    values = fact["values"] or {}
    args = {k: _short(v) for k, v in fact["args"].items() if v not in ((), [], None)}
    head = f"{'not ' if fact['negated'] else ''}{fact['predicate']} {json.dumps(args)}"
    if "observations" in values:
        lines = [f"{head}: {values.get('count', 0)} matching sighting(s)"]
        for item in values.get("observations") or []:
            lines.append(
                f"    source {display_safe(item['source'])} ({display_safe(item['source_ref'])})"
                f" said category {display_safe(item['category'] or '')!r}"
            )
        return lines
    if "files" in values or "count" in values:
        lines = [f"{head}: {values.get('count', 0)} matching file(s)"]
        for item in values.get("files") or []:
            exts = ".".join(item["exts"] or [])
            raw = item.get("raw_path")
            if raw is None:  # evidence holds text only: bytes that are not UTF-8 come
                # from the files table, decoded as a client would (U+FFFD for a bad byte)
                raw = client_text(item["path"], raw_paths.get(item["file_index"]))
            shown = display_safe(raw)
            lines.append(f"    file {item['file_index']}: {shown} [{exts}]")
        return lines
    if fact["predicate"] == FuzzyTerms.keyword:
        lines = [f"{head}: best score {values.get('best_score')}"]
        for m in values.get("matches") or []:
            lines.append(
                f"    {m['source']}: {display_safe(m['token'])!r} ~ {display_safe(m['term'])!r}"
                f" ({m['score']})"
            )
        return lines
    if "matches" in values:
        lines = [f"{head}: on a known list"]
        for m in values["matches"] or []:
            where = f" (file {m['file_index']}: {display_safe(m['path'])})" if m["path"] else ""
            lines.append(f"    list {m['list']} v{m['version']}: {m['kind']} {m['hash']}{where}")
        return lines
    return [f"{head}: {display_safe(_values_words(values))}"]


def _flag_words(
    rule_id: str, version: int, level: str, evidence: dict, raw_paths: dict[int, bytes]
) -> list[str]:
    """The flag's headline (``Rule <id> v<version> (<level>): <title> — because:``) and
    the facts that counted: those that hold (or, under ``not``, do not). ``raw_paths``:
    the torrent's raw file paths by index, where they differ from libtorrent's."""
    lines = [f"Rule {rule_id} v{version} ({level}): {evidence['title']} — because:"]
    for fact in evidence["facts"]:
        if fact["holds"] != fact["negated"]:
            lines.extend("  " + line for line in _fact_words(fact, raw_paths))
    return lines


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
        raw_paths = dict(
            con.execute(
                "SELECT file_index, path_raw FROM files f JOIN torrents t USING (infohash)"
                " WHERE $infohash IN (t.infohash, t.infohash_v1, t.infohash_v2)"
                " AND path_raw IS NOT NULL",
                {"infohash": key},
            ).fetchall()
        )
    finally:
        con.close()
    if not flags:
        return [*lines, "No active flags."]
    for rule_id, version, level, evidence in flags:
        lines.extend(_flag_words(rule_id, version, level, json.loads(evidence), raw_paths))
    return lines
