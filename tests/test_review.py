"""Review: the queue, show, decisions (single, bulk), the two-person rule, and dismissed
torrents staying out of the queue until their evidence changes — on the real demo data."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from cli_runner import run_cli
from warehouse_rows import query_rows

from common.errors import ReviewInvalid, ReviewNotFlagged, TorrentNotFound
from torrentwatch.flag import flag
from torrentwatch.review import (
    review_bulk,
    review_decide,
    review_policy,
    review_queue,
    review_show,
)
from torrentwatch.review_codes import RATIONALES

DOCS = Path(__file__).resolve().parent.parent / "docs" / "review.md"
LEVELS = ["informational", "low", "medium", "high", "critical"]


@pytest.fixture
def db(flagged_demo: Path) -> Path:
    return flagged_demo


def _by_name(db: Path, fragment: str) -> str:
    (infohash,) = query_rows(
        db, "SELECT infohash FROM torrents WHERE name LIKE $n", {"n": f"%{fragment}%"}
    )[0]
    return infohash


def _queue(db: Path) -> dict[str, dict]:
    return {row["infohash"]: row for row in review_queue(db).to_pylist()}


def test_queue_lists_every_flagged_torrent_once_most_severe_first(db):
    queue = review_queue(db).to_pylist()
    flagged = query_rows(
        db,
        "SELECT infohash, list(rule_id ORDER BY rule_id), max(list_position($l, level)) "
        "FROM flags WHERE active GROUP BY infohash",
        {"l": LEVELS},
    )
    assert len(queue) == len(flagged) >= 5
    expected = {ih: (rules, LEVELS[rank - 1]) for ih, rules, rank in flagged}
    for row in queue:
        assert row["status"] == "unreviewed"
        assert (row["rule_ids"], row["top_level"]) == expected[row["infohash"]]
    ranks = [(LEVELS.index(r["top_level"]), r["top_score"]) for r in queue]
    assert ranks == sorted(ranks, reverse=True)
    assert any(len(r["rule_ids"]) > 1 for r in queue), "a torrent with two rules is one line"


def test_end_to_end_confirm_dismiss_escalate_history_stays(db):
    queue = _queue(db)
    confirm, dismiss, escalate = list(queue)[:3]
    done = review_decide(
        db, confirm, decision="confirm", rationale="disguised-payload", analyst="ana"
    )
    assert (done.status, done.confirmers, done.required_confirmers) == ("confirmed", 1, 1)
    review_decide(db, dismiss, decision="dismiss", rationale="honest-release", analyst="ana")
    review_decide(
        db,
        escalate,
        decision="escalate",
        rationale="other",
        analyst="bob",
        note="ask the games desk",
    )
    queue = _queue(db)
    assert confirm not in queue and dismiss not in queue
    assert queue[escalate]["status"] == "escalated"
    # Append-only: a later decision stands, the earlier one stays in the history.
    review_decide(db, escalate, decision="confirm", rationale="disguised-payload", analyst="cy")
    history = query_rows(
        db,
        "SELECT decision, analyst FROM reviews WHERE infohash = $h ORDER BY seq",
        {"h": escalate},
    )
    assert history == [("escalate", "bob"), ("confirm", "cy")]
    assert escalate not in _queue(db)
    (status,) = query_rows(
        db, "SELECT status FROM review_status WHERE infohash = $h", {"h": escalate}
    )[0]
    assert status == "confirmed"
    # The decision stored the evidence it was made on, equal to the current evidence.
    (same,) = query_rows(
        db,
        "SELECT sha256(r.flag_evidence::VARCHAR) = f.evidence_sha256 FROM reviews r "
        "JOIN flagged_torrents f USING (infohash) WHERE r.infohash = $h ORDER BY seq DESC LIMIT 1",
        {"h": confirm},
    )[0]
    assert same


def test_show_says_why_lists_files_and_decisions(db):
    bidi = _by_name(db, "Holiday.Photos")
    review_decide(
        db,
        bidi,
        decision="escalate",
        rationale="needs-second-opinion",
        analyst="ana",
        note="name\u202etxt.exe trick",
    )
    text = "\n".join(review_show(db, bidi))
    assert "because:" in text and "disguise.bidi-control" in text
    assert "Files (2):" in text and "<U+202E>" in text
    assert "\u202e" not in text, "bidi characters are shown escaped, also in notes"
    assert re.search(r"ana: escalate \(needs-second-opinion\)", text)
    with pytest.raises(TorrentNotFound):
        review_show(db, "0" * 39 + "1")


@pytest.mark.parametrize(
    ("decision", "rationale", "analyst", "note", "fragment"),
    [
        ("approve", "disguised-payload", "ana", None, "decision 'approve'"),
        ("confirm", "honest-release", "ana", None, "not a code for 'confirm'"),
        ("dismiss", "no-such-code", "ana", None, "not a code for 'dismiss'"),
        ("dismiss", "other", "ana", "   ", "needs a --note"),
        ("confirm", "disguised-payload", "", None, "analyst id"),
        ("confirm", "disguised-payload", "ana smith", None, "analyst id"),
        ("confirm", "disguised-payload", "../etc/passwd", None, "analyst id"),
        ("confirm", "disguised-payload", "a" * 65, None, "analyst id"),
        ("confirm", "disguised-payload", "ana\u202e", None, "analyst id"),
        ("confirm", "disguised-payload", "ana", "x" * 4001, "at most 4000"),
    ],
)
def test_bad_decisions_are_refused_with_the_accepted_values(
    db, decision, rationale, analyst, note, fragment
):
    infohash = next(iter(_queue(db)))
    with pytest.raises(ReviewInvalid, match=re.escape(fragment)):
        review_decide(
            db, infohash, decision=decision, rationale=rationale, analyst=analyst, note=note
        )
    assert query_rows(db, "SELECT count(*) FROM reviews") == [(0,)]


def test_unknown_and_unflagged_torrents(db):
    with pytest.raises(TorrentNotFound):
        review_decide(db, "0" * 39 + "1", decision="dismiss", rationale="duplicate", analyst="ana")
    unflagged = _by_name(db, "ubuntu")
    with pytest.raises(ReviewNotFlagged):
        review_decide(db, unflagged, decision="dismiss", rationale="duplicate", analyst="ana")
    assert query_rows(db, "SELECT count(*) FROM reviews") == [(0,)]


def test_two_person_rule_needs_two_different_analysts(db):
    assert review_policy(db).required_confirmers == 1
    with pytest.raises(ReviewInvalid):
        review_policy(db, two_person=True, analyst="")
    policy = review_policy(db, two_person=True, analyst="lead")
    assert (policy.required_confirmers, policy.set_by) == (2, "lead")
    item = next(iter(_queue(db)))
    args = {"decision": "confirm", "rationale": "disguised-payload"}
    first = review_decide(db, item, analyst="ana", **args)
    assert (first.status, first.confirmers) == ("awaiting_confirmation", 1)
    assert _queue(db)[item]["status"] == "awaiting_confirmation"
    again = review_decide(db, item, analyst="ana", **args)
    assert (again.status, again.confirmers) == ("awaiting_confirmation", 1), "same analyst"
    second = review_decide(db, item, analyst="bob", **args)
    assert (second.status, second.confirmers) == ("confirmed", 2)
    assert item not in _queue(db)
    # A dismissal in between starts the count again.
    review_decide(db, item, decision="dismiss", rationale="rule-misfire", analyst="cy")
    assert review_decide(db, item, analyst="dee", **args).status == "awaiting_confirmation"
    # Back to one person: the latest policy row stands and the history of it stays.
    review_policy(db, two_person=False, analyst="lead")
    (status, versions) = query_rows(
        db,
        "SELECT (SELECT status FROM review_status WHERE infohash = $h), "
        "(SELECT count(*) FROM review_policy)",
        {"h": item},
    )[0]
    assert (status, versions) == ("confirmed", 2)


OPS_PACK = """\
rules:
  - id: ops.galaxy-word
    version: {version}
    title: Name holds the word galaxy
    description: An operator rule for the test.
    level: low
    when:
      whole_token: [galaxy]
    tests:
      flag: [{{name: "Galaxy.Pack.Complete", files: [["a.bin", 1MB]]}}]
      pass: [{{name: "Harbor.Lights", files: [["a.bin", 1MB]]}}]
"""


def test_dismissed_stays_out_across_reflag_until_its_evidence_changes(db, tmp_path):
    lure = _by_name(db, "Galaxy.Pack")
    assert lure in _queue(db)
    review_decide(db, lure, decision="dismiss", rationale="honest-release", analyst="ana")
    assert lure not in _queue(db)
    for _ in range(2):  # re-running flag over unchanged data raises nothing again
        flag(db)
        assert lure not in _queue(db)
    (status,) = query_rows(db, "SELECT status FROM review_status WHERE infohash = $h", {"h": lure})[
        0
    ]
    assert status == "dismissed"
    assert query_rows(db, "SELECT count(*) FROM flags WHERE infohash = $h", {"h": lure})[0][0] >= 1

    # A new rule fires on it: new evidence, back in the queue as 'changed'.
    pack = tmp_path / "ops.yaml"
    pack.write_text(OPS_PACK.format(version=1), encoding="utf-8")
    flag(db, [pack])
    row = _queue(db)[lure]
    assert row["status"] == "changed" and "ops.galaxy-word" in row["rule_ids"]
    review_decide(db, lure, decision="dismiss", rationale="rule-misfire", analyst="ana")
    flag(db, [pack])
    assert lure not in _queue(db)

    # The same rule at a new version: changed evidence again.
    pack.write_text(OPS_PACK.format(version=2), encoding="utf-8")
    flag(db, [pack])
    assert _queue(db)[lure]["status"] == "changed"

    # The operator rule switched off: the evidence is again what was dismissed first?
    # No: the latest decision was on the two-rule evidence, so this is a change too.
    flag(db)
    assert _queue(db)[lure]["status"] == "changed"
    assert query_rows(db, "SELECT count(*) FROM reviews WHERE infohash = $h", {"h": lure}) == [(2,)]


def test_bulk_by_sql_counts_first_and_records_with_yes(db):
    query = "SELECT infohash FROM review_queue WHERE top_level IN ('high', 'critical')"
    expected = len(query_rows(db, query))
    assert expected >= 2
    extra = (
        f"{query} UNION ALL SELECT 'ffff' "
        "UNION ALL SELECT infohash FROM torrents WHERE name LIKE 'ubuntu%'"
    )
    args = {"decision": "dismiss", "rationale": "insufficient-evidence", "analyst": "ana"}
    dry = review_bulk(db, extra, **args)
    assert (dry.selected, dry.unknown, dry.not_flagged, dry.decided, dry.applied) == (
        expected + 2,
        1,
        1,
        expected,
        False,
    )
    assert query_rows(db, "SELECT count(*) FROM reviews") == [(0,)]
    done = review_bulk(db, extra, yes=True, **args)
    assert done.applied and done.decided == expected
    assert query_rows(db, "SELECT count(*), count(DISTINCT seq) FROM reviews") == [
        (expected, expected)
    ]
    assert (
        len(_queue(db))
        == len(query_rows(db, "SELECT DISTINCT infohash FROM flags WHERE active")) - expected
    )


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM flags",
        "SELECT infohash FROM flags; DROP TABLE flags",
        "SELECT 1) x; DROP TABLE flags; --",
        "SELECT name FROM torrents",
        "",
        "SELEC nonsense",
    ],
)
def test_bulk_refuses_anything_but_one_select_of_infohashes(db, query):
    with pytest.raises(ReviewInvalid):
        review_bulk(db, query, decision="dismiss", rationale="duplicate", analyst="ana", yes=True)
    assert query_rows(db, "SELECT count(*) > 0 FROM flags") == [(True,)]
    assert query_rows(db, "SELECT count(*) FROM reviews") == [(0,)]


def test_docs_list_every_rationale_code():
    text = DOCS.read_text(encoding="utf-8")
    for code in RATIONALES:
        assert f"`{code}`" in text, f"rationale {code} is not in docs/review.md"


def test_cli_decide_and_queue(db):
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli("review", *args, "--db", db)

    queue = run("queue", "--format", "csv")
    assert queue.returncode == 0, queue.stderr
    first = queue.stdout.splitlines()[1].split(",")[0]
    bad = run("decide", first, "confirm", "--rationale", "honest-release", "--analyst", "ana")
    assert bad.returncode == 1 and "review.invalid" in bad.stderr
    good = run("decide", first, "confirm", "--rationale", "disguised-payload", "--analyst", "ana")
    assert good.returncode == 0 and "confirmed" in good.stdout, good.stderr
    assert first not in run("queue", "--format", "csv").stdout
