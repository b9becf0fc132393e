"""Every predicate describes the evidence it writes: each shipped rule's own test
torrents (and the example fuzzy pack's) are ingested as `rules test` does, flagged, and
explained; every fact shown must be put in words by its own predicate (found through
the registry), never by the fallback for keywords no longer registered. A pack here
fills in the predicates no shipped rule uses, held and negated, so a new predicate
without words (or without an example here) fails."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import torrentwatch.explain as explain_module
from rules.registry import PREDICATES
from rules.ruleset import load_packs
from torrentwatch.explain import explain, fired
from torrentwatch.flag import flag
from torrentwatch.rule_tests import run_rule_tests
from warehouse.db import connect

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"

# One rule whose facts all hold for its flag tests (an `any:`, so evidence lists each),
# and one of the same predicates negated, none of them holding.
EVERY_PREDICATE = """\
rules:
  - id: test.every-predicate
    version: 1
    title: Every predicate, held
    description: Benign test rule.
    level: low
    when:
      any:
        - claimed.platform: {in: [ps2]}
        - claimed.category: {in: [game_console]}
        - claimed.nature: {in: [gameplay_video]}
        - source_category: [games]
        - video_about_game: true
        - bytes_share: {kinds: [disc_image], at_least: 0.5}
        - count: {kinds: [executable], at_least: 1}
        - has_file: {kind: [executable]}
        - no_file: {ext: [flac]}
        - file_count: {at_least: 1}
        - total_size: {at_least: 1}
        - largest_file: {at_least: 1}
        - name_marks: {bidi: false}
        - file_marks: {bidi: true}
        - double_extension: {final: exec_or_shortcut}
        - double_extension: {final: exec_or_shortcut, shown: [video]}
        - hidden_zero_width: {on: any}
        - hidden_zero_width: {on: name}
        - hidden_zero_width: {on: paths, final: exec_or_shortcut}
        - known_list: {list: describe-list}
        - whole_token: [kart]
        - regex: {pattern: "kart"}
        - regex: {pattern: "setup", on: paths}
        - regex: {pattern: "racer", on: any}
        - fuzzy_terms: {terms: watch-titles.txt, on: any, threshold: 90}
        - rare_for_claim:
            {content_at_least: 0.9, at_most: 0.4, min_support: 1, kinds: [subtitle]}
        - file_size: {kinds: [disc_image], at_least: 1GB}
        - count_share: {kinds: [disc_image], at_least: 0.2}
        - created_by: {pattern: synth}
        - comment: {pattern: demo}
        - trackers: {pattern: "^udp://"}
        - age: {at_least: 1}
        - seeders: {at_least: 1}
    tests:
      flag:
        - name: "Kart.Racer.PS2-GRP"
          files: [["kart.iso", 4GB], ["setup.avi.exe", 1MB], ["notes\\u202Etxt.scr", 1KB],
                  ["clip.mp4\\u200b.exe", 1MB]]
          on_lists: [describe-list]
        - {name: "Kart\\u200bRacer.PS2", files: [["kart.iso", 4GB]]}
        - {name: "Kart.Racer.PS4.Gameplay.Walkthrough.1080p", files: [["a.mp4", 900MB]]}
        - {name: "Quiet.Meadow.Poems.EPUB", files: [["poems.srt", 5MB]]}
        - {name: "Hill.Poems.EPUB", files: [["poems.epub", 2MB]]}
  - id: test.every-predicate-negated
    version: 1
    title: Every predicate, negated
    description: Benign test rule.
    level: low
    when:
      any:
        - not: {claimed.platform: {in: [nsw]}}
        - not: {claimed.category: {in: [ebook]}}
        - not: {claimed.nature: {in: [saves]}}
        - not: {source_category: [ebooks]}
        - not: {video_about_game: true}
        - not: {bytes_share: {kinds: [audio], at_least: 0.9}}
        - not: {count: {kinds: [audio], at_least: 5}}
        - not: {has_file: {ext: [flac]}}
        - not: {no_file: {kind: [disc_image]}}
        - not: {file_count: {at_least: 1000}}
        - not: {total_size: {at_most: 10}}
        - not: {largest_file: {at_most: 10}}
        - not: {name_marks: {control: true}}
        - not: {file_marks: {zero_width: true}}
        - not: {double_extension: {final: [bat]}}
        - not: {double_extension: {final: [exe], shown: [audio]}}
        - not: {hidden_zero_width: {on: any}}
        - not: {known_list: {list: another-list}}
        - not: {whole_token: [qqqq]}
        - not: {regex: {pattern: "qqqq"}}
        - not: {regex: {pattern: "qqqq", on: paths}}
        - not: {regex: {pattern: "qqqq", on: any}}
        - not: {fuzzy_terms: {terms: watch-titles.txt, threshold: 99}}
        - not: {rare_for_claim: {content_at_least: 0.9, at_most: 0, min_support: 2147483647}}
        - not: {file_size: {kinds: [audio], at_least: 1}}
        - not: {count_share: {kinds: [audio], at_least: 0.9}}
        - not: {created_by: {pattern: qqqq}}
        - not: {comment: {pattern: qqqq}}
        - not: {trackers: {pattern: qqqq}}
        - not: {age: {at_most: 0}}
        - not: {seeders: {at_least: 1000}}
    tests:
      flag: [{name: "Kart.Racer.PS2-GRP", files: [["kart.iso", 4GB]]}]
"""


@pytest.fixture(scope="module")
def described(tmp_path_factory) -> dict:
    """Flag and explain every test torrent; the (keyword, negated) pairs described."""
    work = tmp_path_factory.mktemp("describe")
    pack = work / "every.yaml"
    pack.write_text(EVERY_PREDICATE, encoding="utf-8")
    shutil.copy(EXAMPLES / "watch-titles.txt", work / "watch-titles.txt")
    paths = [EXAMPLES / "watch-titles.yaml", pack]
    report = run_rule_tests(load_packs(paths), work)
    db = work / "rules-test.duckdb"
    con = connect(db)
    try:  # test torrents have no sightings with a category: give them one
        con.execute("UPDATE observations SET category = 'Games > PS2', seeders = 5")
        con.execute(  # nor a comment or trackers
            "UPDATE torrents SET comment = 'a demo comment',"
            " trackers = ['udp://tracker.invalid:6969/announce']"
        )
        hashes = [h for (h,) in con.execute("SELECT infohash FROM torrents").fetchall()]
    finally:
        con.close()
    flag(db, paths)
    seen: set[tuple[str, bool]] = set()
    mp = pytest.MonkeyPatch()

    def unknown(values):
        raise AssertionError(f"a fact fell back to the generic words: {values}")

    def recording(fact, context):
        seen.add((fact["predicate"], fact["negated"]))
        return original_fact_words(fact, context)

    original_fact_words = explain_module.fact_words
    mp.setattr(explain_module, "_unknown_words", unknown)
    mp.setattr(explain_module, "fact_words", recording)
    try:
        lines = {h: explain(db, h) for h in hashes}
    finally:
        mp.undo()
    con = connect(db, read_only=True)
    try:
        flags = con.execute("SELECT infohash, rule_id, evidence FROM flags").fetchall()
    finally:
        con.close()
    return {"report": report, "seen": seen, "lines": lines, "flags": flags}


def test_every_shipped_rule_flags_its_tests_and_explains_them_in_its_own_words(described):
    assert described["report"].ok, [r.failures for r in described["report"].failed]
    flagged_rules = {rule_id for _, rule_id, _ in described["flags"]}
    assert {r.id for r in load_packs().rules.values() if r.flag_tests} <= flagged_rules
    # every flag's fired facts were put in words (none fell back: see the fixture)
    for infohash, _, evidence in described["flags"]:
        text = "\n".join(described["lines"][infohash])
        for fact in fired(json.loads(evidence)):
            assert fact["predicate"] in text


def test_every_registered_predicate_describes_its_evidence_held_and_negated(described):
    wanted = {(keyword, negated) for keyword in PREDICATES for negated in (False, True)}
    assert wanted - described["seen"] == set()


def test_the_words_say_what_the_evidence_says(described):
    """A negated known_list that fired says the torrent is on no list (not "on a known
    list"), and a regex over name and paths lists its matching files, not stored JSON."""
    text = "\n".join(line for lines in described["lines"].values() for line in lines)
    negated = [line for line in text.splitlines() if "not known_list" in line]
    assert negated and all(line.endswith("on no known list") for line in negated)
    held = [line for line in text.splitlines() if line.lstrip().startswith("known_list")]
    assert held and all("on a known list" in line for line in held)
    any_regex = [line for line in text.splitlines() if '"on": "any"' in line and "regex" in line]
    assert any_regex
    for line in any_regex:
        assert "{" not in line.split("}: ", 1)[1], line  # no dict repr after the head
        assert "matching file(s)" in line


def test_the_new_options_are_said_in_words(described):
    """double_extension's ``shown`` kinds and hidden_zero_width's name and files."""
    text = "\n".join(line for lines in described["lines"].values() for line in lines)
    shown = [line for line in text.splitlines() if '"shown": ["video"]' in line]
    assert shown and all("of kind video shown first" in line for line in shown)
    hidden = [line for line in text.splitlines() if "hidden_zero_width" in line]
    assert any("name Kart<U+200B>Racer.PS2" in line for line in hidden), hidden
    assert any("matching file(s)" in line for line in hidden)
