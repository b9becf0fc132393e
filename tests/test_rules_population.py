"""``rare_for_claim``: content rare for what the name claims, learnt from the warehouse.

On a hand-built ``torrents`` table of known counts (only the columns the predicate
reads), exactly at the thresholds: the torrent itself is left out of its population,
``min_support`` counts the others, ``at_most`` is compared exactly; null claims and
torrents without a content profile are in no population. Then its words, what lint
refuses (shares written as percentages), and `rules test` with background items."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from rule_packs import compile_rule, pack_problems

from parsers.extensions import KINDS
from rules import populations
from rules.compile import evidence_sql, flag_sql, rule_sql
from rules.population_predicates import RareForClaim, percent
from rules.predicates import EvidenceContext
from rules.ruleset import load_packs
from torrentwatch.explain import explain
from torrentwatch.flag import flag
from torrentwatch.rule_tests import run_rule_tests
from warehouse.db import connect

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "rare-for-claim.yaml"
RULE = "rare_for_claim: {content_at_least: 0.9, at_most: 0.01, min_support: 500}"


def _table(con) -> None:
    shares = ", ".join(f"share_bytes_{k} DOUBLE" for k in KINDS)
    con.execute(
        "CREATE TABLE torrents (infohash VARCHAR, claimed_category VARCHAR,"
        f" claimed_platform VARCHAR, dominant_kind VARCHAR, {shares})"
    )


def _add(con, prefix, n, claim, kind, share, platform=None) -> None:
    """``n`` torrents ``prefix0``.. claiming ``claim`` whose dominant ``kind`` holds
    ``share`` of the bytes (the rest ``other``); ``kind`` None: no content profile."""
    if kind is None:
        columns, values = "", ""
    else:
        rest = "text" if kind != "text" else "other"
        columns = f", share_bytes_{kind}, share_bytes_{rest}"
        values = f", {share}, {1 - share}"
    con.execute(
        f"INSERT INTO torrents (infohash, claimed_category, claimed_platform, dominant_kind"
        f"{columns}) SELECT $p || i, $claim, $platform, $kind{values} FROM range($n) r(i)",
        {"p": prefix, "claim": claim, "platform": platform, "kind": kind, "n": n},
    )


def _flagged(con, when: str = RULE) -> set[str]:
    rule = compile_rule(when)
    populations.prepare(con, [rule])
    return {h for (h,) in con.execute(rule_sql(rule)).fetchall()}


@pytest.fixture
def con():
    con = duckdb.connect()
    _table(con)
    yield con
    con.close()


def test_exactly_at_the_thresholds_the_torrent_left_out_of_its_population(con):
    """500 ebooks of documents and 6 of video: each video one is judged against the 500
    other ebooks, 5 of them mostly video: exactly 1%, exactly min_support. Counting
    itself (6 of 501, 1.2%) it would pass; one more video ebook and none is rare."""
    _add(con, "doc", 495, "ebook", "document", 0.99)
    _add(con, "vid", 6, "ebook", "video", 0.98)
    assert _flagged(con) == {f"vid{i}" for i in range(6)}
    _add(con, "more", 1, "ebook", "video", 0.95)
    assert _flagged(con) == set()


def test_min_support_counts_the_other_torrents(con):
    _add(con, "doc", 499, "ebook", "document", 0.99)
    _add(con, "vid", 1, "ebook", "video", 0.98)
    assert _flagged(con) == set()  # 499 others: one short (with itself, 500)
    _add(con, "doc2", 1, "ebook", "document", 0.99)
    assert _flagged(con) == {"vid0"}
    # alone with its claim: a population of 0 never passes any min_support
    _add(con, "solo", 1, "music", "video", 1.0)
    assert "solo0" not in _flagged(
        con, "rare_for_claim: {content_at_least: 0.9, at_most: 0, min_support: 1}"
    )


def test_mostly_is_at_least_content_at_least(con):
    """The torrent must be mostly its kind (>= content_at_least), and only torrents
    that are mostly a kind count among the population's "mostly" ones."""
    _add(con, "doc", 500, "ebook", "document", 0.99)
    _add(con, "mixed", 50, "ebook", "video", 0.89)  # video, but not mostly: not counted
    _add(con, "vid", 1, "ebook", "video", 0.9)  # exactly content_at_least
    assert _flagged(con) == {"vid0"}


def test_null_claims_and_magnet_only_rows_are_in_no_population(con):
    _add(con, "doc", 500, "ebook", "document", 0.99)
    _add(con, "vid", 1, "ebook", "video", 0.98)
    _add(con, "noclaim", 300, None, "video", 1.0)  # no claim: no population, never judged
    _add(con, "magnet", 300, "ebook", None, 0)  # no content profile: not counted
    assert _flagged(con) == {"vid0"}
    rows = con.execute("SELECT claim, kind, claimed, mostly FROM claim_populations").fetchall()
    assert sorted(rows) == [("ebook", "document", 501, 500), ("ebook", "video", 501, 1)]


def test_by_platform_claims_and_kinds(con):
    _add(con, "iso", 600, "game_console", "disc_image", 1.0, platform="ps2")
    _add(con, "vid", 1, "game_console", "video", 1.0, platform="ps2")
    _add(con, "bk", 600, "ebook", "document", 1.0)
    _add(con, "bkv", 1, "ebook", "video", 1.0)
    base = "content_at_least: 0.9, at_most: 0.01, min_support: 500"
    assert _flagged(con, f"rare_for_claim: {{{base}, by: platform}}") == {"vid0"}
    assert _flagged(con, f"rare_for_claim: {{{base}}}") == {"vid0", "bkv0"}
    assert _flagged(con, f"rare_for_claim: {{{base}, claims: [ebook]}}") == {"bkv0"}
    assert _flagged(con, f"rare_for_claim: {{{base}, kinds: [audio]}}") == set()
    # two thresholds in one run: one population each
    rules = [compile_rule(f"rare_for_claim: {{{base}}}"), compile_rule(RULE.replace("9", "8"))]
    assert populations.prepare(con, rules) == 8


def _fact(con, infohash: str, when: str = RULE) -> dict:
    rule = compile_rule(when)
    populations.prepare(con, [rule])
    (evidence,) = con.execute(
        f"SELECT {evidence_sql(rule)} FROM torrents t WHERE infohash = $h", {"h": infohash}
    ).fetchone()
    (fact,) = json.loads(evidence)["facts"]
    return fact


def _words(fact: dict) -> str:
    (line,) = RareForClaim.describe(fact["args"], fact["values"], EvidenceContext())
    return line


def test_evidence_and_words(con):
    _add(con, "doc", 40_997, "ebook", "document", 0.99)
    _add(con, "vid", 3, "ebook", "video", 0.98)
    _add(con, "aud", 200, "ebook", "audio", 0.97)
    _add(con, "half", 1, "ebook", "video", 0.6)
    _add(con, "none", 1, None, "video", 1.0)
    fact = _fact(con, "vid0")
    assert fact["holds"]
    assert fact["values"] == {
        "claim": "ebook",
        "kind": "video",
        "share": 0.98,
        "population": 41_200,
        "mostly": 2,
        "mostly_share": 2 / 41_200,
    }
    assert _words(fact) == (
        "2 of the 41,200 other torrents claiming category ebook (0.0049%) are mostly video"
        " (at least 90% of their bytes); this one is 98% video: rare for category ebook"
        " (at most 1%, of at least 500)"
    )
    assert _words(_fact(con, "doc0")).endswith("more than the 1% that counts as rare")
    assert _words(_fact(con, "half0")).endswith("it is not mostly video (under 90%)")
    assert _words(_fact(con, "none0")) == "the name claims no category"
    few = _words(_fact(con, "vid0", RULE.replace("500", "50000")))
    assert few.endswith("41,200 is fewer than the 50,000 needed to judge")


def test_percent_words():
    assert [percent(x) for x in (0, 0.003, 0.0003, 0.01, 0.015, 0.98, 1)] == [
        "0%",
        "0.3%",
        "0.03%",
        "1%",
        "1.5%",
        "98%",
        "100%",
    ]


POEMS = (
    '      flag: [{name: "Lake.Poems.EPUB", files: [["poems.mp4", 900MB]]}]\n'
    '      pass: [{name: "Hill.Poems.EPUB", files: [["poems.epub", 2MB]]},'
    ' {name: "Sea.Poems.EPUB", files: [["poems.epub", 3MB]]}]\n'
)
POEMS_RULE = "rare_for_claim: {content_at_least: 0.9, at_most: 0, min_support: 2}"


def test_flag_stage_raises_what_flag_sql_selects_and_explains_it(tmp_path):
    """A warehouse of one pack's test torrents: `flag` (population prepared once, then
    candidates, then evidence) raises what ``flag_sql`` selects, and `explain` says why."""
    pack = tmp_path / "pack.yaml"
    pack.write_text(_pack(POEMS_RULE, POEMS))
    assert run_rule_tests(load_packs([pack], shipped=False), tmp_path).ok
    db = tmp_path / "rules-test.duckdb"
    flag(db, [pack])
    con = connect(db, read_only=True)
    try:
        raised = dict(
            con.execute(
                "SELECT t.name, f.infohash FROM flags f JOIN torrents t USING (infohash)"
                " WHERE f.rule_id = 'demo.rule'"
            ).fetchall()
        )
        populations.prepare(con, [load_packs([pack], shipped=False).rules["demo.rule"]])
        rule = load_packs([pack], shipped=False).rules["demo.rule"]
        direct = {h for h, _ in con.execute(flag_sql(rule)).fetchall()}
    finally:
        con.close()
    assert set(raised) == {"Lake.Poems.EPUB"}
    assert set(raised.values()) == direct
    text = "\n".join(explain(db, raised["Lake.Poems.EPUB"]))
    assert "0 of the 2 other torrents claiming category ebook (0%) are mostly video" in text


# ------------------------------------------------------------------------------ lint

BAD = [
    ("at_most: 1", "at_most", "rules.bad_value", "looks like a percentage"),
    ("at_most: 5", "at_most", "rules.bad_value", "0.05 for 5%"),
    ("at_most: 0.5", "at_most", "rules.bad_value", "from 0 to below 0.5"),
    ("at_most: -0.1", "at_most", "rules.bad_value", "from 0 to below 0.5"),
    ("at_most: 0.0000001", "at_most", "rules.bad_value", "one in a"),
    ("at_most: '1%'", "at_most", "rules.wrong_type", "share between 0 and 1"),
    ("content_at_least: 90", "content_at_least", "rules.bad_value", "0.9 for 90%"),
    ("content_at_least: 0.5", "content_at_least", "rules.bad_value", "more than half"),
    ("content_at_least: .nan", "content_at_least", "rules.wrong_type", "between 0 and 1"),
    ("min_support: 0", "min_support", "rules.out_of_range", "min_support"),
    ("min_support: 2.5", "min_support", "rules.wrong_type", "whole number"),
    ("by: name", "by", "rules.bad_value", "category, platform"),
]


@pytest.mark.parametrize(("change", "key", "code", "words"), BAD, ids=[b[0] for b in BAD])
def test_lint_refuses_values_off_their_scale(tmp_path, change, key, code, words):
    args = {"content_at_least": "0.9", "at_most": "0.01", "min_support": "500"}
    name, value = change.split(": ", 1)
    args[name] = value
    body = ", ".join(f"{k}: {x}" for k, x in args.items())
    _, problems = pack_problems(tmp_path, _pack(f"rare_for_claim: {{{body}}}"))
    (problem,) = problems
    assert (problem.code, problem.path) == (code, f"rules[0].when.rare_for_claim.{key}")
    assert words in problem.message


def test_lint_names_missing_keys_and_unknown_claims(tmp_path):
    _, problems = pack_problems(tmp_path, _pack("rare_for_claim: {at_most: 0.01}"))
    assert sorted(p.message for p in problems) == [
        "missing required key 'content_at_least'",
        "missing required key 'min_support'",
    ]
    when = (
        "rare_for_claim: {content_at_least: 0.9, at_most: 0.01, min_support: 5,"
        " by: platform, claims: [ebook]}"
    )
    _, problems = pack_problems(tmp_path, _pack(when))
    assert [p.code for p in problems] == ["rules.unknown_platform"]


def _pack(when: str, tests: str = '      pass: [{name: "x", files: [["a.txt", 1]]}]\n') -> str:
    return (
        "rules:\n  - id: demo.rule\n    version: 1\n    title: A demo rule\n"
        "    description: Benign example.\n    level: high\n"
        f"    when:\n      {when}\n    tests:\n{tests}"
    )


def test_lint_checks_background_items(tmp_path):
    tests = (
        '      pass: [{name: "x", files: [["a.txt", 1]]}]\n'
        '      background: [{name: "y", files: [["b.txt", 1]], count: 0},'
        ' {name: "z", files: [["c.txt", 1]]}]\n'
    )
    _, problems = pack_problems(tmp_path, _pack(RULE, tests))
    assert sorted((p.code, p.path) for p in problems) == [
        ("rules.missing_key", "rules[0].tests.background[1]"),
        ("rules.out_of_range", "rules[0].tests.background[0].count"),
    ]


# ----------------------------------------------------------------------- rules test


def test_rules_test_judges_against_the_rules_own_tests_and_background(tmp_path):
    """The example pack passes `rules test` beside the shipped packs (whose tests do not
    enter its population); with a looser rule, the counter-cases it pins fail, named
    with the words of the fact that fired."""
    assert run_rule_tests(load_packs([EXAMPLE]), tmp_path / "ok").ok
    loose = tmp_path / "loose.yaml"
    text = EXAMPLE.read_text(encoding="utf-8")
    loose.write_text(
        text.replace("at_most: 0.01, min_support: 500", "at_most: 0.1, min_support: 300")
    )
    report = run_rule_tests(load_packs([loose]), tmp_path / "loose")
    (failed,) = report.failed
    assert len(failed.failures) == 2
    audiobook, music = failed.failures
    assert "Tide.Pool.Tales" in audiobook
    assert (
        "60 of the 964 other torrents claiming category ebook (6.22%) are mostly audio" in audiobook
    )
    assert "0 of the 300 other torrents claiming category music" in music


def test_without_background_the_population_is_the_rules_tests(tmp_path):
    """Beside the shipped packs (their ebook tests are not in its population), the
    rule's three tests are the whole population: two others for each, as min_support
    asks; with min_support 3 the flag test is no longer judged."""
    pack = tmp_path / "pack.yaml"
    pack.write_text(_pack(POEMS_RULE, POEMS))
    report = run_rule_tests(load_packs([pack]), tmp_path / "w")
    assert report.ok, [r.failures for r in report.failed]
    pack.write_text(_pack(POEMS_RULE.replace("2}", "3}"), POEMS))
    (failed,) = run_rule_tests(load_packs([pack]), tmp_path / "w3").failed
    (failure,) = failed.failures
    assert failure.startswith(
        "should flag but passed: 'Lake.Poems.EPUB' (poems.mp4); did not hold: rare_for_claim"
    )
    assert failure.endswith("2 is fewer than the 3 needed to judge")
