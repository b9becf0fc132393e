"""The rows of a hotline export, built from the warehouse.

Which torrents go out (confirmed, and optionally escalated, that the target has not yet
received with this evidence) and what each row holds are chosen in SQL; Python only
shapes each chosen row into the export's columns (evidence without any term list, every
string display-safe). Nothing here reads a clock: every value comes from the data, so
the same warehouse state gives the same rows.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from parsers.extensions import KINDS
from parsers.normalize import display_safe
from rules.model import LEVELS
from torrentwatch.render import hidden_re2

SCHEMA_VERSION = "torrentwatch.export/1"

NO_CONTENT_STATEMENT = (
    "Metadata only: torrentwatch read this torrent's public metadata (name, file list, "
    "infohashes); no content of it was downloaded, stored or viewed."
)

# (column, kind): kind "json" is a nested value (JSON text in CSV and Parquet).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("schema_version", "str"),
    ("batch_id", "str"),
    ("target", "str"),
    ("infohash", "str"),
    ("infohash_v1", "str"),
    ("infohash_v2", "str"),
    ("magnet", "str"),
    ("name", "str"),
    ("name_raw_hex", "str"),
    ("name_norm", "str"),
    ("total_size", "int"),
    ("file_count", "int"),
    ("content_summary", "str"),
    ("content_profile", "json"),
    ("rule_ids", "json"),
    ("top_level", "str"),
    ("evidence", "json"),
    ("known_list_matches", "json"),
    ("first_seen", "str"),
    ("last_seen", "str"),
    ("sightings", "int"),
    ("sources", "json"),
    ("review_status", "str"),
    ("decided_at", "str"),
    ("reviews", "json"),
    ("no_content_downloaded", "str"),
)


def _ts(column: str) -> str:
    return f"strftime(timezone('UTC', {column}), '%Y-%m-%dT%H:%M:%S.%fZ')"


# Items the target has not received with this evidence. $escalated adds escalated ones.
CANDIDATES_SQL = """\
CREATE OR REPLACE TEMP TABLE export_candidates AS
SELECT s.infohash, r.review_id, r.seq, r.flag_evidence::VARCHAR AS flag_evidence,
       sha256(r.flag_evidence::VARCHAR) AS evidence_sha256,
       CASE WHEN s.confirmed THEN 'confirmed' ELSE 'escalated' END AS review_status
FROM review_status s JOIN reviews r ON r.review_id = s.latest_review_id
WHERE (s.confirmed OR ($escalated AND s.latest_decision = 'escalate'))
  AND NOT EXISTS (SELECT 1 FROM export_items e WHERE e.target = $target
                  AND e.infohash = s.infohash
                  AND e.evidence_sha256 = sha256(r.flag_evidence::VARCHAR)
                  AND e.review_status = CASE WHEN s.confirmed THEN 'confirmed'
                                             ELSE 'escalated' END)"""

_PROFILE = ", ".join(f"t.count_{k}, t.share_bytes_{k}" for k in KINDS)

ROWS_SQL = f"""\
SELECT c.infohash, c.review_id, c.evidence_sha256, c.review_status, c.flag_evidence,
       t.infohash_v1, t.infohash_v2, hex(t.name_raw) AS name_raw_hex, t.name_norm,
       coalesce(try(decode(t.name_raw)), t.name) AS name,
       t.total_size, t.file_count, t.claimed_platform, t.claimed_category, t.dominant_kind,
       {_PROFILE},
       (SELECT to_json(list({{'list_name': m.list_name, 'list_version': m.list_version,
                              'kind': m.kind, 'hash': m.hash, 'label': m.label,
                              'file_index': m.file_index, 'path': m.path}}
                             ORDER BY m.list_name, m.kind, m.hash, m.file_index))::VARCHAR
        FROM torrent_hash_list_matches m WHERE m.infohash = c.infohash) AS known,
       (SELECT {_ts("min(o.seen_at)")} FROM observations o WHERE o.infohash = c.infohash)
           AS first_seen,
       (SELECT {_ts("max(o.seen_at)")} FROM observations o WHERE o.infohash = c.infohash)
           AS last_seen,
       (SELECT count(*) FROM observations o WHERE o.infohash = c.infohash) AS sightings,
       (SELECT to_json(list(s ORDER BY s.source))::VARCHAR FROM (
            SELECT {{'source': o.source, 'sightings': count(*),
                     'first_seen': {_ts("min(o.seen_at)")},
                     'last_seen': {_ts("max(o.seen_at)")},
                     'urls': coalesce(list(DISTINCT o.source_ref ORDER BY o.source_ref)
                         FILTER (WHERE regexp_matches(o.source_ref, '^https?://')), [])[1:20]
                    }} AS s, o.source
            FROM observations o WHERE o.infohash = c.infohash GROUP BY o.source)) AS sources,
       (SELECT to_json(list({{'review_id': r.review_id, 'decision': r.decision,
                              'rationale': r.rationale, 'analyst': r.analyst,
                              'decided_at': {_ts("r.decided_at")}}} ORDER BY r.seq))::VARCHAR
        FROM torrent_reviews r WHERE r.infohash = c.infohash AND r.seq <= c.seq) AS reviews,
       (SELECT {_ts("r.decided_at")} FROM reviews r WHERE r.review_id = c.review_id)
           AS decided_at
FROM export_candidates c JOIN torrents t USING (infohash)"""

# Every string of a row comes from these columns (the rest are constants, hex, numbers,
# timestamps or the checked target name, all display-safe as they are).
_TEXTS = (
    "infohash, infohash_v1, infohash_v2, name, name_norm, claimed_platform, "
    "claimed_category, dominant_kind, flag_evidence, known, sources, reviews"
)

# The rows with ``unsafe``: whether any of their text may change under display_safe
# (a hidden character or a literal "<U+", or in JSON text an escaped one: a backslash
# escape other than \" and \\). Only those rows are walked in Python; for the rest
# display_safe is the identity. A superset is harmless: it costs a walk, nothing more.
FLAGGED_ROWS_SQL = f"""\
SELECT *, regexp_matches(concat_ws(' ', {_TEXTS}), $hidden)
          OR regexp_matches(concat_ws(' ', flag_evidence, known, sources, reviews),
                            '\\\\[bfnrtu/]') AS unsafe
FROM ({ROWS_SQL}) ORDER BY infohash"""


def safe(value: object) -> object:
    """``value`` with every string in it display-safe (bidi, controls shown as <U+...>)."""
    if isinstance(value, str):
        return display_safe(value)
    if isinstance(value, list):
        return [safe(v) for v in value]
    if isinstance(value, dict):
        return {k: safe(v) for k, v in value.items()}
    return value


def _values(values: object) -> object:
    """A fact's values without term lists: a fuzzy match's ``term`` is dropped (only
    the torrent's own token and the score stay), and files show their raw path."""
    if isinstance(values, list):
        return [_values(v) for v in values]
    if not isinstance(values, dict):
        return values
    out = {}
    for key, value in values.items():
        if key in ("term", "raw_path"):
            continue
        if key == "path" and values.get("raw_path"):
            value = values["raw_path"]
        out[key] = _values(value)
    return out


def evidence_out(flag_evidence: dict) -> list[dict]:
    """Per rule: id, version, level, title, the facts that made it fire (predicate and
    the torrent's values it read) and the matched files. Rule arguments (words,
    patterns, term files) are never exported."""
    rules = []
    for rule_id in sorted(flag_evidence):
        ev = flag_evidence[rule_id]
        facts, files = [], {}
        for fact in ev.get("facts") or []:
            if bool(fact.get("holds")) == bool(fact.get("negated")):
                continue
            values = _values(fact.get("values") or {})
            for item in (values.get("files") or []) if isinstance(values, dict) else []:
                files[item["file_index"]] = {"file_index": item["file_index"], "path": item["path"]}
            facts.append(
                {
                    "predicate": fact.get("predicate"),
                    "negated": fact.get("negated"),
                    "values": values,
                }
            )
        rules.append(
            {
                "rule_id": rule_id,
                "rule_version": ev.get("version"),
                "level": ev.get("level"),
                "title": ev.get("title"),
                "facts": facts,
                "matched_files": [files[i] for i in sorted(files)],
            }
        )
    return rules


def magnet(v1: str | None, v2: str | None, name: str | None, size: int | None) -> str:
    """A magnet link naming the torrent (hybrid: both hashes); no trackers, no peers."""
    parts = []
    if v1:
        parts.append(f"xt=urn:btih:{v1}")
    if v2:
        parts.append(f"xt=urn:btmh:1220{v2}")
    if name:
        parts.append(f"dn={quote(name, safe='')}")
    if size is not None:
        parts.append(f"xl={size}")
    return "magnet:?" + "&".join(parts)


def _profile(row: dict) -> tuple[str, dict]:
    kinds = {
        k: {"files": row[f"count_{k}"], "byte_share": round(row[f"share_bytes_{k}"] or 0.0, 4)}
        for k in KINDS
        if row[f"count_{k}"]
    }
    profile = {
        "claimed_platform": row["claimed_platform"],
        "claimed_category": row["claimed_category"],
        "dominant_kind": row["dominant_kind"],
        "kinds": kinds,
    }
    ordered = sorted(kinds.items(), key=lambda kv: (-kv[1]["byte_share"], kv[0]))
    shares = ", ".join(f"{k} {v['byte_share']:.0%} ({v['files']} files)" for k, v in ordered)
    claim = "/".join(x for x in (row["claimed_category"], row["claimed_platform"]) if x)
    summary = f"claims {claim or 'nothing'}; {row['file_count'] or 0} files: {shares or 'none'}"
    return summary, profile


def shape(row: dict, target: str) -> dict:
    """One warehouse row (ROWS_SQL) as an export item, in COLUMNS order, without batch id;
    display-safe (walked only when the row is flagged ``unsafe``)."""
    flag_evidence = json.loads(row["flag_evidence"])
    evidence = evidence_out(flag_evidence)
    summary, profile = _profile(row)
    levels = [e["level"] for e in evidence if e["level"] in LEVELS]
    item = {
        "schema_version": SCHEMA_VERSION,
        "batch_id": None,
        "target": target,
        "infohash": row["infohash"],
        "infohash_v1": row["infohash_v1"],
        "infohash_v2": row["infohash_v2"],
        "magnet": magnet(row["infohash_v1"], row["infohash_v2"], row["name"], row["total_size"]),
        "name": row["name"],
        "name_raw_hex": (row["name_raw_hex"] or "").lower() or None,
        "name_norm": row["name_norm"],
        "total_size": row["total_size"],
        "file_count": row["file_count"],
        "content_summary": summary,
        "content_profile": profile,
        "rule_ids": sorted(flag_evidence),
        "top_level": max(levels, key=LEVELS.index) if levels else None,
        "evidence": evidence,
        "known_list_matches": json.loads(row["known"]) if row["known"] else [],
        "first_seen": row["first_seen"],
        "last_seen": row["last_seen"],
        "sightings": row["sightings"],
        "sources": json.loads(row["sources"]) if row["sources"] else [],
        "review_status": row["review_status"],
        "decided_at": row["decided_at"],
        "reviews": json.loads(row["reviews"]) if row["reviews"] else [],
        "no_content_downloaded": NO_CONTENT_STATEMENT,
    }
    return safe(item) if row["unsafe"] else item


def build_items(con, target: str, *, escalated: bool = False) -> list[tuple[dict, str, str]]:
    """(item, review_id, evidence_sha256) for every item ``target`` has yet to receive,
    ordered by infohash."""
    con.execute(CANDIDATES_SQL, {"target": target, "escalated": escalated})
    result = con.execute(FLAGGED_ROWS_SQL, {"hidden": hidden_re2()})
    names = [d[0] for d in result.description]
    out = []
    for values in result.fetchall():
        row = dict(zip(names, values, strict=True))
        out.append((shape(row, target), row["review_id"], row["evidence_sha256"]))
    con.execute("DROP TABLE export_candidates")
    return out
