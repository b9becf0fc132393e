"""Analyst review of flagged torrents: the queue, one torrent in words, decisions.

Decisions are append-only rows of ``reviews``; each carries the evidence it was made
on (the same canonical text as the view ``flagged_torrents``), so the views
``review_status`` and ``review_queue`` (migration 005) can tell whether evidence changed
since: a dismissed torrent stays out of the queue across re-runs of ``flag`` until a
rule fires anew, a rule's version changes or different files match. Every function
here is set-wise SQL; the CLI (`torrentwatch review ...`) is a thin skin over it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from common.checks import check_int
from common.errors import (
    QueryError,
    ReviewInvalid,
    ReviewNotFlagged,
    TorrentNotFound,
)
from parsers.normalize import display_safe
from torrentwatch.explain import explain
from torrentwatch.review_codes import check_analyst, check_decision
from warehouse.db import connect, rollback_quietly
from warehouse.guarded import run_guarded
from warehouse.lanes import serialized
from warehouse.pending_reviews import fold_pending

# The most torrents one queue listing shows (0 or None: all of them).
MAX_QUEUE_LIMIT = 1_000_000_000
QUEUE_SQL = """\
SELECT infohash, status, top_level, top_score, rule_ids, name, total_size, file_count,
       latest_decision, latest_analyst, confirmers, required_confirmers
FROM review_queue
ORDER BY level_rank DESC, top_score DESC, infohash"""

# Set-wise insert of one decision for every torrent in the temp table `to_decide`;
# flag_evidence is the evidence of `flagged_torrents` at this moment.
INSERT_SQL = """\
INSERT INTO reviews (review_id, seq, infohash, decision, rationale, note, analyst,
                     decided_at, flag_evidence)
SELECT replace(gen_random_uuid()::VARCHAR, '-', ''),
       base.last + row_number() OVER (ORDER BY f.infohash),
       f.infohash, $decision, $rationale, $note, $analyst, $now, f.evidence
FROM flagged_torrents f
JOIN to_decide d USING (infohash)
CROSS JOIN (SELECT coalesce(max(seq), 0) AS last FROM reviews) base"""

KEY_SQL = """\
SELECT infohash FROM torrents
WHERE $infohash IN (infohash, infohash_v1, infohash_v2)"""

HISTORY_SQL = """\
SELECT seq, review_id, decision, rationale, analyst, decided_at, note,
       sha256(flag_evidence::VARCHAR) AS evidence_sha256
FROM torrent_reviews WHERE infohash = $infohash ORDER BY seq"""

FILES_SQL = """\
SELECT file_index, path, path_raw, size, kind
FROM files WHERE infohash = $infohash AND NOT is_pad ORDER BY file_index"""

STATUS_SQL = """\
SELECT status, confirmers, required_confirmers, current_evidence_sha256
FROM review_status WHERE infohash = $infohash"""


@dataclass(frozen=True, slots=True)
class Decided:
    """What `review decide` recorded, and where the torrent stands after it."""

    infohash: str
    review_id: str
    status: str
    confirmers: int
    required_confirmers: int


@dataclass(frozen=True, slots=True)
class BulkResult:
    """`review bulk`: how many rows the query selected and what was (or would be) decided."""

    selected: int  # distinct values in the query's infohash column
    unknown: int  # not an infohash of any torrent
    not_flagged: int  # torrents selected that have no active flag: left alone
    decided: int  # torrents that get (or, without --yes, would get) the decision
    applied: bool


@dataclass(frozen=True, slots=True)
class Policy:
    required_confirmers: int
    version: int | None  # None: never set (the default, one confirmer)
    set_by: str | None


# Roll back if a transaction is still open, never hiding the error that got us here.
rollback = rollback_quietly


def open_warehouse(db: str | Path):
    """A writable, migrated connection to an existing warehouse: review and export never
    create an empty one by mistake (a typo in --db is WarehouseMissing, not a new file).
    Decisions the workbench took while the warehouse was busy are folded in first
    (``warehouse.pending_reviews``), so every review and export run sees them."""
    con = connect(db)
    try:
        fold_pending(con, db)
    except BaseException:
        con.close()
        raise
    return con


def _key(con, infohash: str, db: str | Path) -> str:
    """The warehouse key of a torrent given by its key, v1 or v2 infohash."""
    key = (infohash or "").strip().lower()
    row = con.execute(KEY_SQL, {"infohash": key}).fetchone()
    if row is None:
        raise TorrentNotFound(f"no torrent with infohash {key!r} in {db}")
    return row[0]


# With --include-experimental: the torrents only shadow rules flagged, after the queue,
# status 'experimental' (they cannot be decided on: no stable flag holds evidence).
EXPERIMENTAL_SQL = """\
SELECT * FROM (
    SELECT infohash, status, top_level, top_score, rule_ids, name, total_size, file_count,
           latest_decision, latest_analyst, confirmers, required_confirmers, 0 AS shadow,
           level_rank
    FROM review_queue
    UNION ALL
    SELECT e.infohash, 'experimental', arg_max(e.level, list_position(
               ['informational', 'low', 'medium', 'high', 'critical'], e.level)),
           max(e.score), list(e.rule_id ORDER BY e.rule_id), any_value(e.name),
           any_value(e.total_size), any_value(e.file_count), NULL, NULL, 0, NULL, 1,
           max(list_position(['informational', 'low', 'medium', 'high', 'critical'], e.level))
    FROM experimental_flags e ANTI JOIN review_queue q USING (infohash)
    GROUP BY e.infohash
) ORDER BY shadow, level_rank DESC, top_score DESC, infohash"""


def review_queue(
    db: str | Path, *, limit: int | None = None, include_experimental: bool = False
) -> pa.Table:
    """Torrents waiting for a decision, most severe first (highest level, then score).
    ``include_experimental``: then the torrents flagged by shadow rules only (status
    ``experimental``), which the queue otherwise leaves out."""
    if limit is not None:
        limit = check_int("limit", limit, low=0, high=MAX_QUEUE_LIMIT)
    con = open_warehouse(db)
    try:
        if include_experimental:
            sql = f"SELECT * EXCLUDE (shadow, level_rank) FROM ({EXPERIMENTAL_SQL})"
        else:
            sql = QUEUE_SQL
        sql += f"\nLIMIT {int(limit)}" if limit else ""
        return con.execute(sql).to_arrow_table()
    finally:
        con.close()


def review_show(db: str | Path, infohash: str) -> list[str]:
    """One torrent for an analyst, as lines: what it is and why it was flagged
    (``torrentwatch.explain.explain``), where it stands in review, its files and the history."""
    con = open_warehouse(db)
    try:
        key = _key(con, infohash, db)
        status = con.execute(STATUS_SQL, {"infohash": key}).fetchone()
        files = con.execute(FILES_SQL, {"infohash": key}).fetchall()
        history = con.execute(HISTORY_SQL, {"infohash": key}).fetchall()
    finally:
        con.close()
    lines = explain(db, key)
    if status is None:
        lines.append("Review: not flagged, nothing to decide.")
    else:
        state, confirmers, required, _ = status
        lines.append(f"Review: {state} ({confirmers} of {required} confirmation(s) needed)")
    lines.append(f"Files ({len(files)}):")
    for index, path, raw, size, kind in files:
        shown = display_safe(raw.decode("utf-8", "replace") if raw is not None else path)
        lines.append(f"  {index:>4}  {size:>14,}  {kind or '-':<12} {shown}")
    lines.append(f"Decisions ({len(history)}):")
    for seq, review_id, decision, rationale, analyst, at, note, digest in history:
        text = f" — {display_safe(note)}" if note else ""
        lines.append(
            f"  #{seq} {at:%Y-%m-%d %H:%M:%S%z} {analyst}: {decision} ({rationale}){text}"
            f" [review {review_id}, evidence {digest[:12]}]"
        )
    return lines


def _decide_selected(con, decision: str, rationale: str, note: str | None, analyst: str):
    con.execute(
        INSERT_SQL,
        {
            "decision": decision,
            "rationale": rationale,
            "note": note,
            "analyst": analyst,
            "now": datetime.now(UTC),
        },
    )


def review_decide(
    db: str | Path,
    infohash: str,
    *,
    decision: str,
    rationale: str,
    analyst: str,
    note: str | None = None,
) -> Decided:
    """Record one decision on a flagged torrent (appended; the latest stands).

    Raises ``ReviewInvalid`` for a decision or rationale outside the fixed set or a bad
    analyst id, ``TorrentNotFound``, and ``ReviewNotFlagged`` when nothing is flagged."""
    check_decision(decision, rationale, analyst, note)
    con = open_warehouse(db)
    try:
        key = _key(con, infohash, db)

        def decide() -> None:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE to_decide AS SELECT $k AS infohash", {"k": key}
            )
            flagged = con.execute(
                "SELECT count(*) FROM flagged_torrents WHERE infohash = $k", {"k": key}
            ).fetchone()[0]
            if not flagged:
                raise ReviewNotFlagged(f"torrent {key} has no active flag: nothing to decide on")
            _decide_selected(con, decision, rationale, note, analyst)

        # The review lane: two decisions at once on a lake must not take the same seq.
        serialized(con, "review", "recording the decision", decide)
        review_id, status, confirmers, required = con.execute(
            "SELECT s.latest_review_id, s.status, s.confirmers, s.required_confirmers "
            "FROM review_status s WHERE s.infohash = $k",
            {"k": key},
        ).fetchone()
        return Decided(key, review_id, status, confirmers, required)
    finally:
        con.close()


def _selected_infohashes(db: str | Path, query: str) -> pa.Table:
    """The ``infohash`` column the analyst's ``query`` selects, run by the guarded query
    runner (one read-only query: trailing `;` and comments are fine). The query is
    never pasted into SQL of ours, so an error only ever speaks of the query itself."""
    try:
        table = run_guarded(db, query)
    except QueryError as exc:
        raise ReviewInvalid(f"bulk query: {exc.args[0]}", code=exc.code) from exc
    if "infohash" not in table.column_names:
        raise ReviewInvalid(
            "bulk query must select a column named infohash; it selected "
            f"{table.column_names or 'no columns'}"
        )
    return table.select(["infohash"])


SELECTED_SQL = """\
CREATE OR REPLACE TEMP TABLE bulk_selected AS
SELECT DISTINCT lower(trim(CAST(q.infohash AS VARCHAR))) AS given FROM bulk_query q
WHERE q.infohash IS NOT NULL"""

# Three equi-joins, not one join on `IN (...)`: DuckDB runs an OR condition as a
# nested loop, which at 10,000 selected x 1,000,000 torrents would take minutes.
BULK_KEYS_SQL = """\
CREATE OR REPLACE TEMP TABLE bulk_keys AS
SELECT b.given, t.infohash FROM bulk_selected b JOIN torrents t ON b.given = t.infohash
UNION
SELECT b.given, t.infohash FROM bulk_selected b JOIN torrents t ON b.given = t.infohash_v1
UNION
SELECT b.given, t.infohash FROM bulk_selected b JOIN torrents t ON b.given = t.infohash_v2"""

TO_DECIDE_SQL = """\
CREATE OR REPLACE TEMP TABLE to_decide AS
SELECT DISTINCT k.infohash FROM bulk_keys k
SEMI JOIN flagged_torrents f ON f.infohash = k.infohash"""

BULK_COUNTS_SQL = """\
SELECT (SELECT count(*) FROM bulk_selected),
       (SELECT count(*) FROM bulk_selected b ANTI JOIN bulk_keys k USING (given)),
       (SELECT count(DISTINCT k.infohash) FROM bulk_keys k
            ANTI JOIN flagged_torrents f ON f.infohash = k.infohash),
       (SELECT count(*) FROM to_decide)"""


def review_bulk(
    db: str | Path,
    query: str,
    *,
    decision: str,
    rationale: str,
    analyst: str,
    note: str | None = None,
    yes: bool = False,
) -> BulkResult:
    """One decision for every flagged torrent whose infohash (key, v1 or v2) the SQL
    ``query`` selects in a column named ``infohash``. Without ``yes`` nothing is
    written: the counts say what would happen. All of it lands in one transaction."""
    check_decision(decision, rationale, analyst, note)
    # Run before the writable connection opens: one process holds one of them at a time.
    selected_rows = _selected_infohashes(db, query)
    con = open_warehouse(db)
    try:
        con.register("bulk_query", selected_rows)

        def select_and_decide() -> tuple[int, int, int, int]:
            con.execute(SELECTED_SQL)
            con.execute(BULK_KEYS_SQL)
            con.execute(TO_DECIDE_SQL)
            counts = con.execute(BULK_COUNTS_SQL).fetchone()
            if yes and counts[3]:
                _decide_selected(con, decision, rationale, note, analyst)
            return counts

        if yes:
            counts = serialized(con, "review", "recording the bulk decision", select_and_decide)
        else:  # a preview: counted in a transaction that is rolled back, nothing written
            con.execute("BEGIN TRANSACTION")
            try:
                counts = select_and_decide()
            finally:
                rollback(con)
        selected, unknown, not_flagged, decided = counts
    finally:
        con.close()
    return BulkResult(selected, unknown, not_flagged, decided, yes and decided > 0)


def review_policy(
    db: str | Path, *, two_person: bool | None = None, analyst: str | None = None
) -> Policy:
    """Show, or with ``two_person`` set, the two-person rule: whether an item counts as
    confirmed after one analyst's confirmation or only after two different analysts'."""
    con = open_warehouse(db)
    try:
        if two_person is not None:
            check_analyst(analyst or "")
            con.execute(
                "INSERT INTO review_policy SELECT coalesce(max(version), 0) + 1, $n, $who, $now "
                "FROM review_policy",
                {"n": 2 if two_person else 1, "who": analyst, "now": datetime.now(UTC)},
            )
        row = con.execute(
            "SELECT required_confirmers, version, set_by FROM review_policy "
            "ORDER BY version DESC LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    return Policy(*row) if row else Policy(1, None, None)


def rationale_table() -> list[tuple[str, str, str]]:
    """(code, decisions, meaning) of every rationale code, for help and docs."""
    from torrentwatch.review_codes import RATIONALES

    return [(r.code, "|".join(r.decisions), r.meaning) for r in RATIONALES.values()]


__all__ = [
    "BulkResult",
    "Decided",
    "Policy",
    "ReviewInvalid",
    "review_bulk",
    "review_decide",
    "review_policy",
    "review_queue",
    "review_show",
]
