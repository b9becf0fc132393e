"""`rules diff` (a backtest that writes nothing), shadow rules (`status: experimental`),
`flag --rule`, and `rules stats`, over the flagged demo warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from cli_runner import run_cli

from common.errors import ReviewNotFlagged, UnknownRule, ValueOutOfRange
from torrentwatch.explain import explain
from torrentwatch.export import export
from torrentwatch.flag import flag
from torrentwatch.ingest import ingest
from torrentwatch.review import review_decide, review_queue
from torrentwatch.rules_diff import rules_diff
from torrentwatch.rules_diff_render import json_text, markdown, markdown_text
from torrentwatch.rules_stats import experimental_flags, rules_stats
from torrentwatch.synth import SynthTorrent, encode

DOUBLE = "disguise.executable-in-video-release"  # two flags in the demo
RULE = """\
rules:
  - id: {id}
    version: {version}
    title: {title}
    description: Benign test rule.
    level: {level}
    status: {status}
    when:
      {when}
    tests:
      pass: [{{name: "Comet.River.2021.720p-BENIGN", files: [["Comet.River.2021.avi", 1MB]]}}]
"""
# The shipped rule narrowed (only .scr counts) and widened (any program extension last).
NARROW = "double_extension: {final: [scr], shown: [video]}"
WIDE = "double_extension: {final: exec_or_shortcut}"
EVERY_FILE = "has_file: {kind: [video, image, executable, archive, document, text, audio]}"


def _pack(folder: Path, name: str, **fields) -> Path:
    values = {
        "id": DOUBLE,
        "version": 5,
        "title": "test rule",
        "level": "critical",
        "status": "stable",
        **fields,
    }
    path = folder / f"{name}.yaml"
    path.write_text(RULE.format(**values), "utf-8")
    return path


def _flags(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT infohash, rule_id, rule_version, active, evidence::VARCHAR, status"
            " FROM flags ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()


def _flagged_by(db: Path, rule_id: str) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT infohash FROM flags WHERE rule_id = $r AND active ORDER BY infohash",
            {"r": rule_id},
        ).fetchall()
    finally:
        con.close()
    return [r for (r,) in rows]


def test_cli_bounds_match_the_library():
    from torrentwatch import rules_diff as library
    from torrentwatch.cli import rules as cli

    assert cli.MAX_EXAMPLES == library.MAX_EXAMPLES


def test_identical_packs_give_an_empty_diff(flagged_demo, tmp_path):
    report = rules_diff(flagged_demo)
    assert report.empty and not report.regression
    assert report.unchanged == report.candidate_rules and report.rules == ()
    # Both sides evaluated (--base): every rule unchanged, nothing evaluated, still empty.
    same = rules_diff(flagged_demo, base_paths=[])
    assert same.empty and same.rules == ()
    done = run_cli("rules", "diff", "--db", flagged_demo)
    assert done.returncode == 0, done.stderr
    assert "no change" in done.stdout


def test_an_unchanged_rule_evaluated_again_is_all_kept(flagged_demo):
    """A warehouse whose runs recorded no rules (before migration 015): every rule is
    evaluated and compared with the flags in force; the same packs change nothing."""
    con = duckdb.connect(str(flagged_demo))
    con.execute("DELETE FROM flag_run_rules")
    con.close()
    report = rules_diff(flagged_demo)
    assert report.empty and report.rules
    assert all(r.raised == r.cleared == r.changed == 0 for r in report.rules)
    assert sum(r.kept for r in report.rules) == len(_flags(flagged_demo))


def test_narrowed_rule_reports_confirmed_flags_it_would_clear_and_exits_1(flagged_demo, tmp_path):
    before = _flags(flagged_demo)
    flagged = _flagged_by(flagged_demo, DOUBLE)
    assert len(flagged) >= 2
    review_decide(
        flagged_demo, flagged[0], decision="confirm", rationale="disguised-payload", analyst="ana"
    )
    before = _flags(flagged_demo)
    narrow = _pack(tmp_path, "narrow", when=NARROW)
    report = rules_diff(flagged_demo, [narrow])
    (rule,) = report.rules
    assert (rule.rule_id, rule.state) == (DOUBLE, "changed")
    assert rule.cleared == len(flagged) and rule.raised == 0
    assert rule.confirmed_cleared == 1 and report.regression
    first = rule.examples[0]  # the confirmed torrent is shown first
    assert (first.infohash, first.change, first.decision) == (flagged[0], "cleared", "confirm")
    assert any("double_extension" in w for w in first.words)
    assert _flags(flagged_demo) == before  # nothing written

    done = run_cli("rules", "diff", narrow, "--db", flagged_demo)
    assert done.returncode == 1
    assert "rules.diff_regression" in done.stderr and "REGRESSION" in done.stdout
    accepted = run_cli("rules", "diff", narrow, "--db", flagged_demo, "--accept-cleared")
    assert accepted.returncode == 0, accepted.stderr
    assert _flags(flagged_demo) == before


def test_widened_rule_reports_new_flags_with_examples(flagged_demo, tmp_path):
    dismissed = _flagged_by(flagged_demo, DOUBLE)[0]
    review_decide(
        flagged_demo, dismissed, decision="dismiss", rationale="honest-release", analyst="ana"
    )
    wide = _pack(tmp_path, "wide", when=EVERY_FILE, id="test.every-file", level="low")
    report = rules_diff(flagged_demo, [wide], examples=2)
    (rule,) = report.rules
    assert (rule.rule_id, rule.state, rule.status, rule.base_status) == (
        "test.every-file",
        "added",
        "stable",
        None,
    )
    con = duckdb.connect(str(flagged_demo), read_only=True)
    (torrents,) = con.execute(
        "SELECT count(DISTINCT infohash) FROM files WHERE NOT is_pad AND kind IN"
        " ('video', 'image', 'executable', 'archive', 'document', 'text', 'audio')"
    ).fetchone()
    con.close()
    assert rule.raised == torrents and rule.cleared == 0 and not report.regression
    assert rule.dismissed_again == 1  # the dismissed torrent comes back
    assert rule.unreviewed_raised == torrents - 1
    assert len(rule.examples) == 2 and all(e.change == "raised" for e in rule.examples)
    assert rule.examples[0].infohash == dismissed  # dismissed first: what a reviewer checks
    assert all(any("matching file(s)" in w for w in e.words) for e in rule.examples)


def test_changed_flags_against_base_packs(flagged_demo, tmp_path):
    """--base evaluates both sides: a new version of a rule changes every flag it keeps."""
    old = _pack(tmp_path, "old", when=WIDE, version=3)
    new = _pack(tmp_path, "new", when=WIDE, version=4, level="high")
    report = rules_diff(flagged_demo, [new], base_paths=[old])
    (rule,) = report.rules
    assert rule.changed > 0 and rule.raised == rule.cleared == rule.kept == 0
    assert rule.examples[0].was == "v3 critical -> v4 high"


def test_markdown_and_json_outputs(flagged_demo, tmp_path):
    narrow = _pack(tmp_path, "narrow", when=NARROW)
    done = run_cli("rules", "diff", narrow, "--db", flagged_demo, "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["regression"] is False and data["rules"][0]["rule_id"] == DOUBLE
    assert data["rules"][0]["cleared"] == len(_flagged_by(flagged_demo, DOUBLE))
    assert {"infohash", "name", "change", "decision", "words", "was"} <= set(
        data["rules"][0]["examples"][0]
    )
    done.stdout.encode("ascii")  # JSON is ASCII only
    md = run_cli("rules", "diff", narrow, "--db", flagged_demo, "--format", "markdown")
    assert md.returncode == 0, md.stderr
    lines = md.stdout.splitlines()
    assert lines[0].startswith("### ✅ rules diff")
    header = next(i for i, line in enumerate(lines) if line.startswith("| rule |"))
    assert lines[header + 1].startswith("|---|---|")
    shown = markdown_text(DOUBLE)
    assert shown == "disguise\\.executable\\-in\\-video\\-release"
    assert lines[header + 2].startswith(f"| {shown} | changed |")
    assert f"<details><summary>examples of {shown}</summary>" in md.stdout
    bad = run_cli("rules", "diff", "--db", flagged_demo, "--format", "html")
    assert bad.returncode == 2


HOSTILE = "Evil|Name](http://x.invalid)<img src=x>`\u202egpj.exe\n# heading *x*"


def test_hostile_names_in_examples_are_display_safe(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    spec = SynthTorrent(name=HOSTILE, files=(("clip.avi", 2_000_000),), multi_file=True)
    (folder / "a.torrent").write_bytes(encode(spec))
    db = tmp_path / "w.duckdb"
    ingest([folder], db, workers=1)
    flag(db)
    pack = _pack(tmp_path, "every", when=EVERY_FILE, id="test.every-file")
    report = rules_diff(db, [pack])
    (example,) = report.rules[0].examples
    assert "\u202e" not in example.name and "<U+202E>" in example.name
    assert "\n" not in example.name
    md = markdown(report)
    assert "\u202e" not in md and "<img" not in md and "](http" not in md
    row = next(line for line in md.splitlines() if "raised" in line and "Evil" in line)
    assert "&lt;img src=x\\>" in row  # HTML shown as text
    assert "\\|" in row and "\\]\\(http" in row and "\\`" in row and "&lt;U\\+202E\\>" in row
    assert not any(line.startswith("# heading") for line in md.splitlines())
    text = json_text(report)
    assert "\\u202e" not in text.lower() and "<U+202E>" in text
    assert markdown_text("a|b") == "a\\|b"


SHADOW = "has_file: {kind: [video]}"


def test_shadow_rules_never_reach_queue_or_export(flagged_demo, tmp_path):
    queue_before = review_queue(flagged_demo).column("infohash").to_pylist()
    shadow = _pack(tmp_path, "shadow", when=SHADOW, id="test.shadow-video", status="experimental")
    summary = flag(flagged_demo, [shadow])
    assert summary.new > 0
    stored = [r for r in _flags(flagged_demo) if r[1] == "test.shadow-video"]
    assert stored and {r[5] for r in stored} == {"experimental"}
    assert all(r[5] == "stable" for r in _flags(flagged_demo) if r[1] != "test.shadow-video")
    # The queue is exactly what it was: no new torrent, no "changed" evidence.
    assert review_queue(flagged_demo).column("infohash").to_pylist() == queue_before
    shown = experimental_flags(flagged_demo)
    assert set(shown.column("rule_id").to_pylist()) == {"test.shadow-video"}
    assert shown.num_rows == len(stored)
    only_shadow = set(shown.column("infohash").to_pylist()) - set(queue_before)
    assert only_shadow
    asked = review_queue(flagged_demo, include_experimental=True).to_pylist()
    assert [r["infohash"] for r in asked[: len(queue_before)]] == queue_before
    rest = asked[len(queue_before) :]
    assert {r["infohash"] for r in rest} == only_shadow
    assert {r["status"] for r in rest} == {"experimental"}
    assert all(r["rule_ids"] == ["test.shadow-video"] for r in rest)
    cli_queue = run_cli(
        "review", "queue", "--db", flagged_demo, "--include-experimental", "--format", "csv"
    )
    assert cli_queue.returncode == 0 and "experimental" in cli_queue.stdout
    with pytest.raises(ReviewNotFlagged):
        review_decide(
            flagged_demo,
            sorted(only_shadow)[0],
            decision="confirm",
            rationale="disguised-payload",
            analyst="ana",
        )
    for infohash in queue_before:
        review_decide(
            flagged_demo, infohash, decision="confirm", rationale="disguised-payload", analyst="a"
        )
    out = tmp_path / "out"
    export(flagged_demo, target="hotline", out_dir=out, fmt="jsonl")
    exported = "".join(p.read_text("utf-8") for p in out.rglob("*.jsonl"))
    assert "test.shadow-video" not in exported
    assert not any(h in exported for h in only_shadow)
    said = "\n".join(explain(flagged_demo, sorted(only_shadow)[0]))
    assert "Rule test.shadow-video v5 (critical, experimental: a shadow rule" in said
    cli = run_cli("rules", "shadow", "--db", flagged_demo, "--format", "csv")
    assert cli.returncode == 0 and "test.shadow-video" in cli.stdout
    # Promoted: the same rule, stable, reaches the queue.
    stable = _pack(tmp_path, "shadow", when=SHADOW, id="test.shadow-video")
    flag(flagged_demo, [stable])
    assert only_shadow <= set(review_queue(flagged_demo).column("infohash").to_pylist())


def test_flag_rule_limits_the_run(flagged_demo, tmp_path):
    before = _flags(flagged_demo)
    narrow = _pack(tmp_path, "narrow", when=NARROW)
    summary = flag(flagged_demo, [narrow], rule_ids=[DOUBLE])
    assert summary.rules == 1
    after = _flags(flagged_demo)
    others = [r for r in before if r[1] != DOUBLE]
    assert [r for r in after if r[1] != DOUBLE] == others  # other rules left alone
    assert not any(r[3] for r in after if r[1] == DOUBLE)  # the narrowed rule cleared its own
    with pytest.raises(UnknownRule, match="no-such-rule"):
        flag(flagged_demo, rule_ids=["no-such-rule"])
    done = run_cli("flag", "--db", flagged_demo, "--rule", DOUBLE)
    assert done.returncode == 0, done.stderr


def test_rules_stats_counts_decisions_and_precision(flagged_demo):
    flagged = _flagged_by(flagged_demo, DOUBLE)
    review_decide(
        flagged_demo, flagged[0], decision="confirm", rationale="disguised-payload", analyst="ana"
    )
    review_decide(
        flagged_demo, flagged[1], decision="dismiss", rationale="honest-release", analyst="ana"
    )
    rows = {r["rule_id"]: r for r in rules_stats(flagged_demo).to_pylist()}
    row = rows[DOUBLE]
    assert (row["raised"], row["confirmed"], row["dismissed"]) == (len(flagged), 1, 1)
    assert row["pending"] == len(flagged) - 2 and row["precision"] == 0.5
    monthly = rules_stats(flagged_demo, period="month").to_pylist()
    assert {r["rule_id"] for r in monthly} == set(rows) and all(r["period"] for r in monthly)
    assert rules_stats(flagged_demo, since="2999-01-01").num_rows == 0
    assert rules_stats(flagged_demo, since="2000-01-01").num_rows == len(rows)
    with pytest.raises(ValueOutOfRange, match="not a date"):
        rules_stats(flagged_demo, since="last tuesday")
    done = run_cli("rules", "stats", "--db", flagged_demo, "--format", "csv")
    assert done.returncode == 0 and DOUBLE in done.stdout


def test_status_changes_mean_what_they_do_to_review(flagged_demo, tmp_path):
    """A shadow rule's cleared flags clear nothing analysts saw; a stable rule made
    experimental takes its flags out of review (a regression on a confirmed torrent);
    a promoted rule puts its kept flags in front of analysts."""
    shadow = _pack(tmp_path, "s", when=SHADOW, id="test.shadow-video", status="experimental")
    flag(flagged_demo, [shadow])
    stored = set(_flagged_by(flagged_demo, "test.shadow-video"))
    # a torrent the stable rule and the shadow rule both flag, confirmed
    confirmed = next(h for h in _flagged_by(flagged_demo, DOUBLE) if h in stored)
    review_decide(
        flagged_demo, confirmed, decision="confirm", rationale="disguised-payload", analyst="a"
    )
    gone = _pack(
        tmp_path, "g", when="has_file: {ext: [zzz]}", id="test.shadow-video", status="experimental"
    )
    (rule,) = rules_diff(flagged_demo, [shadow, gone]).rules
    assert rule.cleared == len(stored) and rule.confirmed_cleared == 0

    promoted = _pack(tmp_path, "p", when=SHADOW, id="test.shadow-video")
    (rule,) = rules_diff(flagged_demo, [promoted]).rules
    assert (rule.status, rule.base_status) == ("stable", "experimental")
    assert rule.kept == len(stored) and rule.unreviewed_raised == len(stored) - 1

    demoted = _pack(
        tmp_path, "d", when=NARROW.replace("[scr]", "exec_or_shortcut"), status="experimental"
    )
    report = rules_diff(flagged_demo, [shadow, demoted])
    rule = next(r for r in report.rules if r.rule_id == DOUBLE)
    assert (rule.status, rule.base_status) == ("experimental", "stable")
    assert rule.confirmed_cleared == 1 and report.regression
