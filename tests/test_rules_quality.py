"""Rule quality: the labeled corpus, the scoring, and the default packs' measured figures.

The scoring is checked on a hand-labeled mini corpus whose confusion matrix is worked
out below by hand; the default packs are checked through the real pipeline (encode,
ingest, hashlist import, flag) on a small labeled corpus, against the figures measured
on the full one (BENCHMARKS.md, "Rule quality"): a pack that starts flagging a hard
negative, or stops catching a disguise, fails here.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from parsers.hashlist import parse_hash_list
from rules.ruleset import load_packs
from testkit.labeled_corpus import (
    BIDI,
    CASES,
    CONSOLE_MEDIA,
    DOUBLE_EXT,
    EXE_IN_VIDEO,
    RULE_IDS,
    Counts,
    Outcome,
    evaluate,
    known_list_text,
    labeled_corpus,
    score,
)

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench" / "rules_quality.py"
# Every case kind must come out as labeled: the two gaps the first evaluation found
# (direction marks of right-to-left text counted as bidi controls; a padded
# "IMG_1.jpg      .exe" read as the chain ["exe"]) were parser fixes.
PER_KIND = 3


def _bench_module():
    if str(BENCH.parent) not in sys.path:  # the bench imports its sibling kit_path
        sys.path.append(str(BENCH.parent))
    if "rules_quality_bench" in sys.modules:
        return sys.modules["rules_quality_bench"]
    spec = importlib.util.spec_from_file_location("rules_quality_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["rules_quality_bench"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------ scoring by hand

X, Y = "rule.x", "rule.y"
MINI = [
    # kind, name, expected, flagged, hard negative
    Outcome("lure", "l1", frozenset({X}), frozenset({X})),  # X tp, Y tn; torrent tp
    Outcome("lure", "l2", frozenset({X}), frozenset()),  # X fn, Y tn; torrent fn
    Outcome("both", "b1", frozenset({X, Y}), frozenset({Y})),  # X fn, Y tp; torrent tp
    Outcome("both", "b2", frozenset({X, Y}), frozenset({X, Y})),  # X tp, Y tp; tp
    Outcome("honest", "h1", frozenset(), frozenset({Y}), True),  # X tn, Y fp; torrent fp
    Outcome("honest", "h2", frozenset(), frozenset(), True),  # X tn, Y tn; torrent tn
    Outcome("plain", "p1", frozenset(), frozenset()),  # tn; not a hard negative
    Outcome("plain", "p2", frozenset(), frozenset({X})),  # X fp; torrent fp
]


def test_score_matches_a_hand_counted_confusion_matrix():
    report = score(MINI, rule_ids=(X, Y))
    assert report.per_rule[X] == Counts(tp=2, fp=1, fn=2, tn=3)
    assert report.per_rule[Y] == Counts(tp=2, fp=1, fn=0, tn=5)
    assert report.overall == Counts(tp=3, fp=2, fn=1, tn=2)
    # disguised (4) and hard negatives (2) only: the 'plain' honest pair is left out
    assert report.hard_negatives == Counts(tp=3, fp=1, fn=1, tn=1)
    assert report.per_rule[X].precision == pytest.approx(2 / 3)
    assert report.per_rule[X].recall == pytest.approx(2 / 4)
    assert report.overall.precision == pytest.approx(3 / 5)
    assert report.overall.recall == pytest.approx(3 / 4)
    rows = {k.kind: k for k in report.kinds}
    assert [k.kind for k in report.kinds] == ["both", "lure", "honest", "plain"]
    assert (rows["lure"].torrents, rows["lure"].flagged, rows["lure"].wrong) == (2, 1, 1)
    assert rows["lure"].missing == {X: 1} and rows["lure"].extra == {}
    assert rows["both"].wrong == 0 and rows["both"].missing == {X: 1}
    assert rows["honest"].extra == {Y: 1} and rows["honest"].hard_negative
    assert rows["plain"].extra == {X: 1} and rows["plain"].example == "p2"
    assert rows["lure"].example == "l2" and rows["both"].example == "b1"


def test_score_of_nothing_and_undefined_ratios():
    report = score([], rule_ids=(X,))
    assert report.overall == Counts() and report.per_rule == {X: Counts()}
    assert report.overall.precision is None and report.overall.recall is None
    assert report.kinds == []
    # a rule raised but not listed is still scored
    extra = score([Outcome("k", "z", frozenset(), frozenset({"rule.z"}))], rule_ids=())
    assert extra.per_rule["rule.z"] == Counts(fp=1)


def test_unlabeled_rules_are_counted_apart():
    outcomes = [
        *MINI,
        Outcome("lure", "l3", frozenset({X}), frozenset({X, "rule.new"})),
        Outcome("plain", "p3", frozenset(), frozenset({"rule.new"})),
    ]
    bench = _bench_module()
    unlabeled = bench.unlabeled_rules(outcomes, labeled=(X, Y))
    assert unlabeled == {"rule.new": (1, 1)}
    lines = bench.report_lines(score(outcomes, rule_ids=(X, Y)), unlabeled)
    assert "| `rule.new` | 1 | 1 |" in lines
    assert not any(line.startswith("| `rule.new` | 0 |") for line in lines)


def test_printed_tables_show_the_scored_figures():
    lines = _bench_module().report_lines(score(MINI, rule_ids=(X, Y)))
    assert "| all torrents | 3 | 2 | 1 | 2 | 0.600 | 0.750 |" in lines
    assert "| disguised + hard negatives | 3 | 1 | 1 | 1 | 0.750 | 0.750 |" in lines
    assert "| `rule.x` | 2 | 1 | 2 | 3 | 0.667 | 0.500 |" in lines
    assert "| `rule.y` | 2 | 1 | 0 | 5 | 0.667 | 1.000 |" in lines
    assert "| lure | disguised | 2 | 1 | 1 | - | rule.x x1 | `l2` |" in lines
    assert "| honest | hard negative | 2 | 1 | 1 | rule.y x1 | - | `h1` |" in lines
    assert "| plain | honest | 2 | 1 | 1 | rule.x x1 | - | `p2` |" in lines
    empty = _bench_module().report_lines(score([], rule_ids=(X,)))
    assert "| `rule.x` | 0 | 0 | 0 | 0 | n/a | n/a |" in empty


# ------------------------------------------------------------------ the corpus


def test_corpus_is_deterministic_labeled_and_distinct():
    first = labeled_corpus(2 * len(CASES), seed=3)
    assert first == labeled_corpus(2 * len(CASES), seed=3)
    assert first != labeled_corpus(2 * len(CASES), seed=4)
    assert {item.kind for item in first} == {case.kind for case in CASES}
    from testkit.labeled_corpus import infohash_v1
    from torrentwatch.synth import encode

    hashes = [infohash_v1(encode(item.spec)) for item in first]
    assert len(set(hashes)) == len(hashes)
    for item in first:
        assert item.expected <= set(RULE_IDS), item.kind
        assert not (item.hard_negative and item.disguised), item.kind
    assert labeled_corpus(0) == [] and labeled_corpus(-5) == []


def test_corpus_has_every_kind_the_issue_names():
    kinds = {case.kind: case for case in CASES}
    disguised = {
        "console-media-payload": CONSOLE_MEDIA,
        "exe-in-video": EXE_IN_VIDEO,
        "double-ext-in-media": DOUBLE_EXT,
        "bidi-in-file": BIDI,
        "bidi-in-name": BIDI,
        "trailing-dot-space": "disguise.trailing-dot-space",
        "encrypted-archive-lure": "disguise.encrypted-archive-lure",
        "console-too-small": "disguise.console-game-too-small",
        "known-list-film": "known.on-any-list",
    }
    for kind, rule in disguised.items():
        assert rule in kinds[kind].expected, kind
    honest = [
        "pc-game-setup-exe", "console-game-trailer", "game-video", "game-soundtrack",
        "film-subs-sample", "software-installer", "photo-collection", "music-album",
        "ebook", "linux-iso", "rom-set", "archive-with-readme", "rtl-name",
        "dotted-film-name", "folder-ends-in-dots",
    ]  # fmt: skip
    for kind in honest:
        assert not kinds[kind].expected, kind
    # every rule the corpus labels is a shipped rule
    assert set(RULE_IDS) <= set(load_packs().rules)


def test_rtl_names_hold_no_override_controls():
    overrides = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    for item in labeled_corpus(4 * len(CASES), seed=5):
        if item.kind.startswith("rtl-name"):
            text = item.spec.name + "".join(path for path, _ in item.spec.files)
            assert not overrides & set(text), item.spec.name
            assert any("\u0590" <= ch <= "\u06ff" for ch in text)


def test_known_list_text_parses_without_rejects():
    items = labeled_corpus(2 * len(CASES), seed=1)
    parsed = parse_hash_list(known_list_text(items).encode(), source_ref="corpus")
    listed = [item for item in items if item.on_known_list]
    assert len(listed) >= 4
    assert not parsed.rejects
    assert len(parsed.entries) == len(listed)


# ------------------------------------------------------------------ the default packs


def missed_disguises(report) -> list[tuple[str, dict[str, int], str]]:
    """Case kinds where an expected rule did not fire, beyond the known gap."""
    return [(row.kind, row.missing, row.example) for row in report.kinds if row.missing]


def hard_negative_failures(report) -> list[tuple[str, dict[str, int], str]]:
    """Case kinds where a rule fired that should not have. A rule the corpus labels
    nowhere (the mislabel pack, written after it) may fire on a disguised torrent,
    which is then disguised in more ways than its label says (an "ebook" named
    "Title.pdf.exe" is also an ebook whose bytes are a program); on an honest one it
    is an error like any other."""
    rows = []
    for row in report.kinds:
        extra = {r: n for r, n in row.extra.items() if r in RULE_IDS or not row.disguised}
        if extra:
            rows.append((row.kind, extra, row.example))
    return rows


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    items = labeled_corpus(PER_KIND * len(CASES), seed=11)
    evaluation = evaluate(items, tmp_path_factory.mktemp("quality"), workers=1)
    return items, evaluation


def test_every_labeled_torrent_was_evaluated(measured):
    items, evaluation = measured
    assert evaluation.not_ingested == []
    assert len(evaluation.outcomes) == len(items)


def test_default_packs_catch_every_disguise(measured):
    _, evaluation = measured
    report = score(evaluation.outcomes)
    assert missed_disguises(report) == []
    assert report.overall.fn == 0
    assert report.overall.recall == 1.0
    for rule in RULE_IDS:
        assert report.per_rule[rule].recall == 1.0, (rule, report.per_rule[rule])


def test_default_packs_pass_the_hard_negatives(measured):
    _, evaluation = measured
    report = score(evaluation.outcomes)
    assert hard_negative_failures(report) == []
    assert report.overall.fp == 0
    assert report.overall.precision == 1.0
    for rule in RULE_IDS:
        assert report.per_rule[rule].precision == 1.0, (rule, report.per_rule[rule])
    bench = _bench_module()
    for rule, (on_honest, _) in bench.unlabeled_rules(evaluation.outcomes).items():
        assert on_honest == 0, rule


def test_bench_script_prints_the_same_figures(measured):
    items, evaluation = measured
    expected = score(evaluation.outcomes).overall
    result = subprocess.run(
        [sys.executable, str(BENCH), "--count", str(len(items)), "--seed", "11", "--workers", "1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    row = (
        f"| all torrents | {expected.tp} | {expected.fp} | {expected.fn} | {expected.tn} | "
        f"{expected.precision:.3f} | {expected.recall:.3f} |"
    )
    assert row in result.stdout.splitlines()
    assert "| rtl-name-direction-marks | hard negative |" in result.stdout


def test_bench_script_refuses_a_corpus_without_every_kind():
    result = subprocess.run(
        [sys.executable, str(BENCH), "--count", "3"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 2
    assert "--count must be at least" in result.stderr


V1_TOO_SMALL = """\
rules:
  - id: disguise.console-game-too-small
    version: 1
    title: v1 of the shipped rule, without the v2 exemptions
    description: Flags every console release under 30 MB.
    level: medium
    when:
      all:
        - claimed.category: {in: [game_console]}
        - total_size: {at_most: 30MB}
        - video_about_game: false
    tests:
      flag: [{name: "Kart.Racer.PS2.PAL-GRP", files: [["kart.iso", 12MB]]}]
  - {id: disguise.trailing-dot-space, disabled: true}
"""


def test_the_checks_catch_a_regressed_pack(tmp_path):
    """The thresholds above are real: layering the old too-small rule over the shipped
    one, and switching the trailing-dot rule off, fails both checks."""
    pack = tmp_path / "regressed.yaml"
    pack.write_text(V1_TOO_SMALL, encoding="utf-8")
    items = labeled_corpus(len(CASES), seed=2)
    evaluation = evaluate(items, tmp_path / "work", [pack], workers=1)
    report = score(evaluation.outcomes)
    wrong = {kind for kind, _, _ in hard_negative_failures(report)}
    assert {"console-update-dlc", "console-homebrew", "retro-rom-single"} <= wrong
    missed = {kind for kind, _, _ in missed_disguises(report)}
    assert {"trailing-dot-space", "trailing-double-ext"} <= missed
    assert report.per_rule["disguise.trailing-dot-space"].recall == 0.0


# ------------------------------------------------------------------ the blind corpus

A, B = "rule.a", "rule.b"
BLIND = [
    # name, class, disguised, rules of level medium or above
    ("d1", "lure", True, {A}),  # tp
    ("d2", "lure", True, set()),  # fn
    ("d3", "mislabel", True, {A, B}),  # tp
    ("h1", "texture-pack", False, {B}),  # fp
    ("h2", "texture-pack", False, set()),  # tn
    ("h3", "film", False, set()),  # tn
]


def _blind_outcomes(bench):
    return [bench.BlindOutcome(n, k, d, frozenset(r)) for n, k, d, r in BLIND]


def test_blind_score_matches_a_hand_counted_confusion_matrix():
    bench = _bench_module()
    report = bench.blind_score(_blind_outcomes(bench))
    assert report.overall == Counts(tp=2, fp=1, fn=1, tn=2)
    rows = {row.klass: row for row in report.classes}
    assert [row.klass for row in report.classes] == ["film", "lure", "mislabel", "texture-pack"]
    assert rows["lure"].counts == Counts(tp=1, fn=1) and rows["lure"].disguised == 2
    assert rows["texture-pack"].counts == Counts(fp=1, tn=1)
    assert rows["texture-pack"].flagged == 1 and rows["texture-pack"].disguised == 0
    rules = {r.rule: r for r in report.rules}
    assert (rules[A].on_honest, rules[A].on_disguised) == (0, 2)
    assert (rules[B].on_honest, rules[B].on_disguised) == (1, 1)
    assert rules[B].precision == pytest.approx(0.5)
    # false positives first, then false negatives
    assert [o.name for o in report.wrong] == ["h1", "d2"]
    lines = bench.blind_report_lines(report)
    assert "| all torrents | 2 | 1 | 1 | 2 | 0.667 | 0.667 |" in lines
    assert "| texture-pack | 2 | 0 | 1 | 0 | 1 | 0 | 1 | 0.000 | n/a |" in lines
    assert "| `rule.b` | 1 | 1 | 0.500 |" in lines
    assert "| FP | texture-pack | `h1` | `rule.b` |" in lines
    assert "| FN | lure | `d2` | - |" in lines
    cut = bench.blind_report_lines(report, limit=1)
    assert "| | | … and 1 more | |" in cut


class _StubBlind:
    """A stand-in for testkit.heldout_corpus with its documented API."""

    GENERATOR_VERSION = "stub-1"
    HELDOUT_SEED = 101
    DEVELOPMENT_SEED = 202

    def __init__(self):
        self.seeds = []

    def corpus(self, seed, per_class):
        from types import SimpleNamespace

        self.seeds.append(seed)
        return [
            SimpleNamespace(
                name="Harbor.Lights.2019.1080p.BluRay.x264-SYNTH",
                files=(("Harbor.Lights.2019.part1.rar", 900_000_000), ("Unlock Code.txt", 900)),
                disguised=True,
                klass="lure",
                claim="film",
                content="archive",
            ),
            SimpleNamespace(
                name="Marble Tower PS2 HD Texture Pack",
                files=(("textures/0001.png", 40_000_000), ("textures/0002.png", 50_000_000)),
                disguised=False,
                klass="texture-pack",
                claim="game_console",
                content="image",
            ),
            SimpleNamespace(
                name="Kart.Racer.PS2.PAL-GRP",
                files=(("clip01.avi", 700_000_000), ("clip02.avi", 600_000_000)),
                disguised=True,
                klass="console-media",
                claim="game_console",
                content="video",
            ),
        ][: per_class * 3]

    def to_synth(self, item):
        from torrentwatch.synth import SynthTorrent

        return SynthTorrent(name=item.name, files=item.files, multi_file=True)


@pytest.mark.parametrize(("corpus", "seed"), [("heldout-dev", 202), ("heldout", 101)])
def test_bench_reads_the_blind_corpus_lazily(monkeypatch, capsys, corpus, seed):
    stub = _StubBlind()
    bench = _bench_module()
    monkeypatch.setattr(bench, "blind_module", lambda: stub)
    assert bench.main(["--corpus", corpus, "--per-class", "1", "--workers", "1"]) == 0
    assert stub.seeds == [seed]
    out = capsys.readouterr().out
    assert "Blind corpus stub-1: 3 torrents" in out
    assert "| all torrents | 2 | 0 | 0 | 1 | 1.000 | 1.000 |" in out
    assert "| `disguise.encrypted-archive-lure` | 0 | 1 | 1.000 |" in out
    assert "Misclassified (0;" in out


def test_bench_without_the_blind_corpus_says_so():
    """A checkout without the blind generator (a rules repository's CI, say) gets a
    clear error, not a traceback: the module is hidden from the import system."""
    hide = (
        "import runpy, sys; sys.modules['testkit.heldout_corpus'] = None; "
        f"sys.path.insert(0, {str(BENCH.parent)!r}); "
        f"sys.argv = [{str(BENCH)!r}, '--corpus', 'heldout-dev']; "
        f"runpy.run_path({str(BENCH)!r}, run_name='__main__')"
    )
    result = subprocess.run([sys.executable, "-c", hide], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2, result.stderr
    assert "testkit.heldout_corpus is not in this tree" in result.stderr
    assert "Traceback" not in result.stderr
