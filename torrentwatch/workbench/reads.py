"""The pages' questions, asked of the newest snapshot (``snapshot.SNAPSHOT_SQL``).

Filters never reach SQL as text: each is a bound parameter of a fixed clause, and sort
orders come from a fixed map. Every function takes a cursor for one request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from datetime import date

import pyarrow as pa

from common.errors import WorkbenchError
from torrentwatch.explain import fired

OPEN_STATUSES = ("unreviewed", "changed", "awaiting_confirmation", "escalated")
STATUSES = (*OPEN_STATUSES, "confirmed", "dismissed")
# Each order's position column in wb_queue (snapshot.POSITIONS says what it sorts by).
SORTS = {
    "severity": "pos_severity",
    "newest": "pos_newest",
    "oldest": "pos_oldest",
    "size": "pos_size",
}
PER_PAGE = 50
MAX_PAGE = 1_000_000


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the queue shows; empty text means "any". ``status`` ``open`` (the default) is
    everything still waiting for an analyst, ``all`` every flagged torrent."""

    level: str = ""
    rule: str = ""
    platform: str = ""
    category: str = ""
    source: str = ""
    status: str = "open"
    seen_from: str = ""
    seen_to: str = ""
    hit: str = ""
    sort: str = "severity"
    page: int = 1

    @classmethod
    def from_query(cls, query: dict[str, str]) -> QueueFilter:
        values = {f.name: query.get(f.name, "") for f in fields(cls) if f.name in query}
        try:
            page = int(values.pop("page", 1) or 1)
        except ValueError:
            page = 1
        found = cls(**{k: v.strip()[:200] for k, v in values.items()}, page=page)
        found.check()
        return found

    def check(self) -> None:
        if self.sort not in SORTS:
            raise WorkbenchError(f"sort {self.sort!r} is not one of {', '.join(SORTS)}")
        if self.status not in ("open", "all", *STATUSES):
            raise WorkbenchError(f"status {self.status!r} is not a review status")
        if self.hit not in ("", "yes", "no"):
            raise WorkbenchError("hit must be yes, no or empty")
        for name in ("seen_from", "seen_to"):
            value = getattr(self, name)
            if value:
                try:
                    date.fromisoformat(value)
                except ValueError as exc:
                    raise WorkbenchError(f"{name} {value!r} is not a date (YYYY-MM-DD)") from exc
        if not 1 <= self.page <= MAX_PAGE:
            raise WorkbenchError(f"page must be 1 to {MAX_PAGE}")

    def query(self, **changes: object) -> dict[str, str]:
        """The filter as query parameters (only those set), with ``changes`` applied."""
        moved = replace(self, **changes)
        defaults = QueueFilter()
        return {
            f.name: str(getattr(moved, f.name))
            for f in fields(self)
            if getattr(moved, f.name) != getattr(defaults, f.name)
        }

    def where(self, skip: str = "") -> tuple[str, dict]:
        """The WHERE clause and its parameters (``skip``: one filter left out, for the
        counts of that filter's values)."""
        clauses, params = ["TRUE"], {}
        simple = {
            "level": "top_level = $level",
            "rule": "list_contains(rule_ids, $rule)",
            "platform": "claimed_platform = $platform",
            "category": "claimed_category = $category",
            "source": "list_contains(sources, $source)",
            "seen_from": "first_seen >= CAST($seen_from AS DATE)",
            "seen_to": "first_seen < CAST($seen_to AS DATE) + INTERVAL 1 DAY",
        }
        for name, clause in simple.items():
            value = getattr(self, name)
            if value and name != skip:
                clauses.append(clause)
                params[name] = value
        if skip != "status":
            if self.status == "open":
                clauses.append(f"status IN {OPEN_STATUSES!r}")
            elif self.status != "all":
                clauses.append("status = $status")
                params["status"] = self.status
        if self.hit and skip != "hit":
            clauses.append("hash_list_hit" if self.hit == "yes" else "NOT hash_list_hit")
        return " AND ".join(clauses), params


@dataclass(frozen=True, slots=True)
class QueuePage:
    rows: list[dict]
    total: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PER_PAGE))


QUEUE_COLUMNS = (
    "infohash, status, top_level, top_score, rule_ids, name, name_raw, name_alt_raw,"
    " total_size, file_count, claimed_platform, claimed_category, first_seen, sources,"
    " hash_list_hit, latest_decision, latest_analyst, confirmers, required_confirmers"
)

# Each filter's values with their counts; lists (rules, sources) are opened up.
FACETS = {
    "level": "top_level",
    "status": "status",
    "platform": "claimed_platform",
    "category": "claimed_category",
    "rule": "unnest(rule_ids)",
    "source": "unnest(sources)",
    "hit": "CASE WHEN hash_list_hit THEN 'yes' ELSE 'no' END",
}


def _dicts(cur) -> list[dict]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def queue_page(cur, flt: QueueFilter, *, facets: bool = True) -> QueuePage:
    where, params = flt.where()
    total = cur.execute(f"SELECT count(*) FROM wb_queue WHERE {where}", params).fetchone()[0]
    pos = SORTS[flt.sort]
    # The page's positions first (one integer column), then its rows: sorting whole rows
    # to skip thousands of them would carry every column through the sort.
    cur.execute(
        f"WITH page AS (SELECT {pos} AS p FROM wb_queue WHERE {where} ORDER BY {pos}"
        f" LIMIT {PER_PAGE} OFFSET {(flt.page - 1) * PER_PAGE})"
        f" SELECT {QUEUE_COLUMNS} FROM wb_queue JOIN page ON {pos} = page.p ORDER BY {pos}",
        params,
    )
    rows = _dicts(cur)
    found: dict[str, list[tuple[str, int]]] = {}
    if facets:
        for name, expr in FACETS.items():
            fw, fp = flt.where(skip=name)
            found[name] = cur.execute(
                f"SELECT v, count(*) AS n FROM (SELECT {expr} AS v FROM wb_queue WHERE {fw})"
                " GROUP BY v ORDER BY n DESC, v LIMIT 50",
                fp,
            ).fetchall()
    return QueuePage(rows, total, found)


def selected(cur, flt: QueueFilter) -> list[dict]:
    """Every torrent the filter selects (all pages): infohash, name keys, evidence."""
    where, params = flt.where()
    cur.execute(
        "SELECT infohash, name, name_raw, name_alt_raw, top_level, status,"
        f" evidence_sha256 FROM wb_queue WHERE {where} ORDER BY {SORTS[flt.sort]}",
        params,
    )
    return _dicts(cur)


def neighbours(cur, flt: QueueFilter, infohash: str) -> tuple[str | None, str | None]:
    """The torrents before and after ``infohash`` in the filtered queue (keyboard n/p)."""
    where, params = flt.where()
    pos = SORTS[flt.sort]
    row = cur.execute(
        f"WITH me AS (SELECT {pos} AS p FROM wb_queue WHERE infohash = $key)"
        f" SELECT (SELECT infohash FROM wb_queue WHERE {where} AND {pos} < (SELECT p FROM me)"
        f"         ORDER BY {pos} DESC LIMIT 1),"
        f"        (SELECT infohash FROM wb_queue WHERE {where} AND {pos} > (SELECT p FROM me)"
        f"         ORDER BY {pos} LIMIT 1)",
        {**params, "key": infohash},
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


# The canonical evidence text of a torrent's active flags: the expression of the view
# flagged_torrents (migration 005), which reviews.flag_evidence must repeat byte for byte.
# Callers check its SHA-256 against the snapshot's review_status before recording it.
EVIDENCE_SQL = """\
SELECT f.infohash,
       '{' || string_agg(to_json(f.rule_id)::VARCHAR || ':' || f.evidence::VARCHAR, ','
                         ORDER BY f.rule_id) || '}' AS evidence
FROM flags f SEMI JOIN wb_evidence_keys k ON k.infohash = f.infohash
WHERE f.active
GROUP BY f.infohash"""


def evidence_texts(cur, keys: list[str]) -> dict[str, str]:
    """The canonical evidence text of each torrent in ``keys`` (those with active flags)."""
    cur.register("wb_evidence_keys", pa.table({"infohash": pa.array(keys, pa.string())}))
    try:
        return dict(cur.execute(EVIDENCE_SQL).fetchall())
    finally:
        cur.unregister("wb_evidence_keys")


def queue_row(cur, infohash: str) -> dict | None:
    cur.execute(
        f"SELECT {QUEUE_COLUMNS}, evidence_sha256 FROM wb_queue WHERE infohash = $k",
        {"k": infohash},
    )
    rows = _dicts(cur)
    return rows[0] if rows else None


def torrent_key(cur, given: str) -> str | None:
    """The key of the torrent ``given`` names by its key (the usual case: one row group
    read), v1 or v2 infohash."""
    given = given.strip().lower()
    for sql in (
        "SELECT infohash FROM torrents WHERE infohash = $k",
        "SELECT infohash FROM torrents WHERE $k IN (infohash_v1, infohash_v2)",
    ):
        row = cur.execute(sql, {"k": given}).fetchone()
        if row:
            return row[0]
    return None


def torrent(cur, key: str) -> dict:
    cur.execute(
        "SELECT infohash, infohash_v1, infohash_v2, name, name_raw, name_alt_raw, total_size,"
        " file_count, claimed_platform, claimed_category, dominant_kind, first_seen,"
        " last_seen, created_by, COLUMNS('^(share_bytes|count)_') FROM torrents"
        " WHERE infohash = $k",
        {"k": key},
    )
    return _dicts(cur)[0]


def evidence_files(cur, key: str) -> set[int]:
    """Indexes of the files the active flags' fired facts name."""
    found: set[int] = set()
    for (evidence,) in cur.execute(
        "SELECT evidence FROM flags WHERE infohash = $k AND active", {"k": key}
    ).fetchall():
        for fact in fired(json.loads(evidence)):
            for item in (fact.get("values") or {}).get("files") or []:
                found.add(int(item["file_index"]))
    return found


def files(cur, key: str, limit: int = 2000) -> list[dict]:
    cur.execute(
        "SELECT file_index, path, path_raw, size, kind, ext, is_pad FROM files"
        f" WHERE infohash = $k ORDER BY file_index LIMIT {int(limit)}",
        {"k": key},
    )
    return _dicts(cur)


def sightings(cur, key: str) -> list[dict]:
    """Per source: when first and last seen, how often, the latest seeders/leechers."""
    cur.execute(
        "SELECT source, count(*) AS sightings, min(seen_at) AS first, max(seen_at) AS last,"
        " arg_max(seeders, seen_at) FILTER (WHERE seeders IS NOT NULL) AS seeders,"
        " arg_max(leechers, seen_at) FILTER (WHERE leechers IS NOT NULL) AS leechers,"
        " max(seeders) AS most_seeders,"
        " list(DISTINCT strftime(seen_at, '%Y-%m-%d') ORDER BY strftime(seen_at, '%Y-%m-%d'))"
        " AS days"
        " FROM observations WHERE infohash = $k GROUP BY source ORDER BY first",
        {"k": key},
    )
    return _dicts(cur)


def hash_hits(cur, key: str) -> list[dict]:
    cur.execute(
        "SELECT list_name, list_version, kind, hash, label, file_index, path FROM wb_hash_hits"
        " WHERE infohash = $k ORDER BY list_name, kind, file_index",
        {"k": key},
    )
    return _dicts(cur)


def history(cur, key: str) -> list[dict]:
    cur.execute(
        "SELECT seq, review_id, decision, rationale, note, analyst, decided_at,"
        " evidence_sha256 FROM wb_history WHERE infohash = $k ORDER BY seq",
        {"k": key},
    )
    return _dicts(cur)


def exports(cur) -> list[dict]:
    cur.execute(
        "SELECT b.batch_id, b.target, b.items, b.recorded_at, e.format, e.file_name,"
        " e.file_sha256, e.bytes, e.rows, e.manifest_name, e.out_dir, e.written_at"
        " FROM export_batches b LEFT JOIN exports e USING (batch_id)"
        " ORDER BY b.recorded_at DESC, e.written_at DESC LIMIT 500"
    )
    return _dicts(cur)


def export_file(cur, batch_id: str, file_name: str) -> dict | None:
    cur.execute(
        "SELECT file_name, manifest_name, out_dir FROM exports"
        " WHERE batch_id = $b AND (file_name = $f OR manifest_name = $f) LIMIT 1",
        {"b": batch_id, "f": file_name},
    )
    rows = _dicts(cur)
    return rows[0] if rows else None


def hash_lists(cur) -> list[dict]:
    cur.execute(
        "SELECT l.name, l.version, l.source, l.format, l.loaded_at, l.entries, l.duplicates,"
        " l.rejected_lines, l.sha256, coalesce(h.torrents, 0) AS hits"
        " FROM hash_lists l LEFT JOIN wb_list_hits h"
        " ON h.list_name = l.name AND h.list_version = l.version"
        " ORDER BY l.name, l.version DESC"
    )
    return _dicts(cur)


def rules(cur) -> list[dict]:
    cur.execute(
        "SELECT r.*, runs.started_at AS last_run_at, runs.status AS last_run_status"
        " FROM wb_rules r LEFT JOIN wb_runs runs ON runs.run_id = r.last_run_id"
        " ORDER BY list_position(['critical', 'high', 'medium', 'low', 'informational'],"
        " r.level), r.rule_id"
    )
    return _dicts(cur)


def runs(cur, limit: int = 20) -> list[dict]:
    cur.execute(f"SELECT * FROM wb_runs ORDER BY started_at DESC LIMIT {int(limit)}")
    return _dicts(cur)


def meta(cur) -> dict:
    cur.execute("SELECT * FROM wb_meta")
    return _dicts(cur)[0]
