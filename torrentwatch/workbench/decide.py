"""Decisions from the workbench: checked like `review decide`, kept in the store.

The rationale codes and their checks are the review library's (``check_decision``); a
decision records the evidence the analyst was shown (the snapshot's canonical evidence
text of ``flagged_torrents``), so the warehouse's review views judge it exactly as a
decision taken with `torrentwatch review decide`. The two-person rule is the warehouse's
(``review_status`` counts different analysts); the workbench also refuses an analyst's
second confirmation of the same evidence, so nobody believes they were the second
person when they were the first one again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pyarrow as pa

from common.errors import ReviewInvalid, ReviewNotFlagged
from torrentwatch.review_codes import check_decision
from torrentwatch.workbench import reads
from torrentwatch.workbench.snapshot import Snapshots
from torrentwatch.workbench.store import PendingDecision


class TwoPersonRefused(ReviewInvalid):
    """The analyst already confirmed this evidence: a second confirmation must be another's."""

    code = "review.two_person"


def confirmed_by(history: list[dict], pending: list[dict], evidence_sha256: str) -> set[str]:
    """Analysts whose confirmations of this evidence stand in the current run of
    confirmations (a dismissal or escalation ends a run), recorded and pending alike."""
    steps = [(h["decision"], h["analyst"], h["evidence_sha256"]) for h in history]
    steps += [
        (p["decision"], p["analyst"], hashlib.sha256(p["flag_evidence"].encode()).hexdigest())
        for p in pending
    ]
    run: set[str] = set()
    for decision, analyst, digest in steps:
        if decision != "confirm":
            run = set()
        elif digest == evidence_sha256:
            run.add(analyst)
    return run


@dataclass(frozen=True, slots=True)
class Plan:
    """What a bulk decision will record (``take``) and leave alone (``skip``)."""

    take: list[dict]
    skip: list[dict]  # the analyst already confirmed them (two-person rule)

    @property
    def digest(self) -> str:
        """Names exactly this selection: the apply step refuses another one."""
        text = "\n".join(f"{r['infohash']}:{r['evidence_sha256']}" for r in self.take)
        return hashlib.sha256(text.encode()).hexdigest()


def decide_one(
    snaps: Snapshots,
    cur,
    analyst: str,
    infohash: str,
    decision: str,
    rationale: str,
    note: str | None,
) -> str:
    """Record one decision on a torrent with active flags; its review id."""
    check_decision(decision, rationale, analyst, note)
    row = reads.queue_row(cur, infohash)
    if row is None:
        raise ReviewNotFlagged(f"torrent {infohash} has no active flag: nothing to decide on")
    if decision == "confirm":
        pending = snaps.pending(cur, [infohash])
        history = reads.history(cur, infohash)
        if analyst in confirmed_by(history, pending, row["evidence_sha256"]):
            raise TwoPersonRefused(
                f"{analyst} already confirmed this evidence; the two-person rule needs "
                "another analyst's confirmation"
            )
    (evidence,) = _evidence(cur, [row]).values()
    (review_id,) = snaps.store.record_decisions(
        analyst,
        [PendingDecision(infohash, decision, rationale, note, evidence)],
        action="decide",
        detail={"decision": decision, "rationale": rationale, "note": note},
    )
    snaps.settle()  # a lake: into reviews now (docs/workbench.md)
    return review_id


def _evidence(cur, rows: list[dict]) -> dict[str, str]:
    """The evidence text each decision records: what the snapshot's review status was
    computed from (its SHA-256 must match, or the decision is refused, never guessed)."""
    texts = reads.evidence_texts(cur, [r["infohash"] for r in rows])
    for r in rows:
        text = texts.get(r["infohash"])
        if text is None or hashlib.sha256(text.encode()).hexdigest() != r["evidence_sha256"]:
            raise ReviewInvalid(
                f"the evidence of {r['infohash']} does not match its review status in the "
                "snapshot; reload the page and decide again"
            )
    return texts


def plan_bulk(snaps: Snapshots, cur, analyst: str, flt: reads.QueueFilter, decision: str) -> Plan:
    """Every torrent the queue filter selects, split into what will be decided and what
    the two-person rule leaves out (a confirmation by one who already confirmed)."""
    rows = reads.selected(cur, flt)
    if decision != "confirm" or not rows:
        return Plan(rows, [])
    mine = _confirmed_by_me(snaps, cur, analyst, rows)
    return Plan(
        [r for r in rows if r["infohash"] not in mine], [r for r in rows if r["infohash"] in mine]
    )


def _confirmed_by_me(snaps: Snapshots, cur, analyst: str, rows: list[dict]) -> set[str]:
    """Torrents whose current evidence ``analyst`` confirmed in the current run (set-wise
    over the snapshot's history, then the few pending decisions)."""
    plan = pa.table(
        {"infohash": [r["infohash"] for r in rows], "sha": [r["evidence_sha256"] for r in rows]}
    )
    cur.register("wb_plan", plan)
    found = {
        key
        for (key,) in cur.execute(
            "WITH last_other AS (SELECT infohash, max(seq) FILTER (WHERE decision <> 'confirm')"
            " AS s FROM wb_history GROUP BY infohash)"
            " SELECT DISTINCT h.infohash FROM wb_history h JOIN wb_plan p"
            " ON p.infohash = h.infohash AND p.sha = h.evidence_sha256"
            " LEFT JOIN last_other l ON l.infohash = h.infohash"
            " WHERE h.decision = 'confirm' AND h.analyst = $a AND h.seq > coalesce(l.s, 0)",
            {"a": analyst},
        ).fetchall()
    }
    cur.unregister("wb_plan")
    keys = [r["infohash"] for r in rows]
    pending = snaps.pending(cur, keys) if len(keys) <= 900 else snaps.pending(cur, None)
    by_key: dict[str, list[dict]] = {}
    for p in pending:
        by_key.setdefault(p["infohash"], []).append(p)
    shas = {r["infohash"]: r["evidence_sha256"] for r in rows}
    for key, items in by_key.items():
        if key not in shas:
            continue
        if analyst in confirmed_by(reads.history(cur, key), items, shas[key]):
            found.add(key)
        else:
            found.discard(key)
    return found


def apply_bulk(
    snaps: Snapshots,
    cur,
    analyst: str,
    flt: reads.QueueFilter,
    *,
    decision: str,
    rationale: str,
    note: str | None,
    digest: str,
) -> int:
    """Record the decision for exactly the previewed selection (``digest``); refuses
    when the selection changed since the preview (a new snapshot, another decision)."""
    check_decision(decision, rationale, analyst, note)
    plan = plan_bulk(snaps, cur, analyst, flt, decision)
    if plan.digest != digest:
        raise ReviewInvalid(
            "the selection changed since the preview (new flags or decisions arrived): "
            "preview again before deciding"
        )
    if not plan.take:
        return 0
    evidence = _evidence(cur, plan.take)
    snaps.store.record_decisions(
        analyst,
        [
            PendingDecision(r["infohash"], decision, rationale, note, evidence[r["infohash"]])
            for r in plan.take
        ],
        action="bulk_decide",
        detail={
            "decision": decision,
            "rationale": rationale,
            "note": note,
            "filter": flt.query(),
            "selection_sha256": digest,
        },
    )
    snaps.settle()
    return len(plan.take)
