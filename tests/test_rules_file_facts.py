"""File facts: the file ``EXISTS`` of compiled rules answered from one pass over files."""

from __future__ import annotations

import pytest
from rule_packs import compile_rule

from rules import file_facts
from rules.compile import candidates_sql, file_facts_sql, rule_sql
from rules.predicates import FILES_EXIST
from rules.ruleset import load_packs
from torrentwatch.synth import SynthTorrent

TORRENTS = {
    "film_exe": SynthTorrent(
        "Harbor.Lights.2019.1080p.BluRay.x264-SYNTH",
        (("H/movie.mkv", 4_000_000_000), ("H/movie.avi.exe", 2_000_000)),
    ),
    "lure": SynthTorrent(
        "Harbor.Lights.2019.1080p.BluRay.x264-SYNTH",
        (("H/movie.rar", 4_000_000_000), ("H/Unlock Code.txt", 100)),
    ),
    "bidi": SynthTorrent("Ocean.Winter.\u202eivm.exe", (("O/clip\u202efdp.exe", 1_000),)),
    "camera": SynthTorrent("Holiday 2021", (("H/IMG_0001.exe", 1_000), ("H/a.jpg", 9_000))),
    "trailing": SynthTorrent("Notes", (("N/readme. ", 10), ("N/b.txt", 10))),
    "game": SynthTorrent(
        "Dungeon.Robot.Builder-FAKEGRP", (("D/setup.exe", 900_000_000), ("D/Password.txt", 10))
    ),
    "photos": SynthTorrent("Summer Trip 2019 Photos", (("S/p1.jpg", 5_000_000),)),
    # two files meeting different conditions: each fact must be about some file
    "mixed": SynthTorrent(
        "Mixed.Bag", (("M/clip.avi.exe", 1_000), ("M/note\u202etxt.doc", 10), ("M/a.mkv", 9))
    ),
}


def _exists(condition: str) -> str:
    return f"{FILES_EXIST}{condition})"


def test_exists_read_from_facts_and_literals_skipped():
    tricky = "f.ext IN ('a)b', 'c''(d') AND regexp_matches(f.path, '(x|y)$')"
    exe = "f.ext = 'exe'"
    sql = f"(t.file_count >= 2 AND {_exists(tricky)}) OR NOT {_exists(exe)}"
    columns = file_facts.conditions([sql])
    assert columns == {tricky: "c0", exe: "c1"}
    assert file_facts.with_facts(sql, columns) == (
        "(t.file_count >= 2 AND coalesce(file_facts.c0, false))"
        " OR NOT coalesce(file_facts.c1, false)"
    )
    assert file_facts.torrents_sql(file_facts.with_facts(sql, columns)) == (
        "torrents t LEFT JOIN flag_file_facts file_facts ON file_facts.infohash = t.infohash"
    )
    assert file_facts.torrents_sql("t.file_count >= 2") == "torrents t"


def test_condition_reading_the_torrent_stays_a_subquery():
    sql = _exists("f.size >= t.total_size / 2")
    assert file_facts.conditions([sql]) == {}
    assert file_facts.with_facts(sql, {}) == sql


def test_no_file_conditions_gives_an_empty_table():
    assert file_facts.facts_sql({}).endswith("SELECT NULL::VARCHAR AS infohash WHERE false")


@pytest.mark.parametrize(
    "when",
    [
        "has_file: {ext: [txt], name_token: [unlock, password*]}",
        "no_file: {kind: [disc_image]}",
        "any: [{double_extension: {final: exec_or_shortcut}}, {file_marks: {bidi: true}}]",
        "all: [{not: {has_file: {kind: [image]}}}, {has_file: {kind: [executable]}}]",
    ],
)
def test_facts_give_the_subqueries_answer(warehouse, when):
    con, _ = warehouse
    rule = compile_rule(when)
    con.execute(file_facts_sql([rule]))
    expected = con.execute(rule_sql(rule)).fetchall()
    con.execute(candidates_sql([rule]))
    got = con.execute("SELECT infohash FROM flag_candidates").fetchall()
    assert sorted(got) == sorted(expected)


def test_shipped_rules_select_the_same_torrents(warehouse):
    """Every shipped rule, with its file EXISTS read from the facts, selects exactly
    what its one-query SQL selects (and the test torrents make some fire)."""
    con, keys = warehouse
    rules = list(load_packs([]).rules.values())
    con.execute(file_facts_sql(rules))
    con.execute(candidates_sql(rules))
    got = set(con.execute("SELECT rule_id, infohash FROM flag_candidates").fetchall())
    expected = {(r.id, h) for r in rules for (h,) in con.execute(rule_sql(r)).fetchall()}
    assert got == expected
    assert {keys[h] for _, h in got} >= {"film_exe", "lure", "bidi", "mixed"}


WORD_CONDITIONS = [
    "f.ext IN ('txt', 'nfo') AND regexp_matches(f.path_norm, '(^| )(unlock|code)( |$)')",
    "f.ext IN ('txt', 'nfo') AND regexp_matches(f.path_norm, '(^| )(pass|it''s)( |$)')",
    "regexp_matches(f.path_norm, '(^| )(key|pin)( |$)') AND f.ext IN ('txt', 'nfo')",
    "f.ext IN ('url') AND regexp_matches(f.path_norm, '(^| )(code)( |$)')",
    "f.ext IN ('txt', 'nfo') AND regexp_matches(f.path, '^READ| AND ', 'c')",
    "f.ext IN ('txt', 'nfo') AND regexp_matches(f.path, 'READ', 'i')",
    "f.ext = 'txt' OR regexp_matches(f.path_norm, '(^| )(unlock)( |$)')",
]


def test_conditions_searching_one_column_share_one_search():
    """Conditions that differ only in the pattern they search one column for (the same
    other conjuncts, whatever their order, the same options) sit behind one search for
    any of their patterns; a different column, other conjuncts, other options or a
    top-level OR stay as they are, and an AND inside a literal is not a conjunct."""
    where = file_facts._any_sql(WORD_CONDITIONS)
    joined = (
        "regexp_matches(f.path_norm, '(?:(^| )(unlock|code)( |$))|(?:(^| )(pass|it''s)( |$))"
        "|(?:(^| )(key|pin)( |$))')"
    )
    group = " OR ".join(f"({c})" for c in WORD_CONDITIONS[:3])
    assert f"(f.ext IN ('txt', 'nfo') AND {joined} AND ({group}))" in where
    for alone in WORD_CONDITIONS[3:]:
        assert f"({alone})" in where
    assert where.count("regexp_matches(") == 3 + 1 + 4  # the group's search + its three


def test_a_union_past_the_pattern_budget_is_not_built(monkeypatch):
    monkeypatch.setattr(file_facts, "UNION_CHARS", 20)
    assert file_facts._any_sql(WORD_CONDITIONS[:3]) == " OR ".join(
        f"({c})" for c in WORD_CONDITIONS[:3]
    )


def test_shared_searches_give_each_condition_its_own_truth():
    """Random paths of the words the patterns look for and others: every condition's
    truth per torrent from the facts query equals its own search, file by file."""
    import random

    import duckdb

    rng = random.Random(7)
    words = ["unlock", "code", "pass", "it's", "key", "pin", "read", "me", "and", "film"]
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE files (infohash VARCHAR, is_pad BOOLEAN, ext VARCHAR, path VARCHAR,"
        " path_norm VARCHAR)"
    )
    rows = []
    for i in range(3000):
        tokens = rng.sample(words, rng.randint(1, 4))
        ext = rng.choice(["txt", "nfo", "url", "mkv"])
        path = " ".join(t.upper() if rng.random() < 0.3 else t for t in tokens)
        rows.append((f"t{i // 3}", rng.random() < 0.05, ext, f"{path}.{ext}", " ".join(tokens)))
    con.executemany("INSERT INTO files VALUES (?, ?, ?, ?, ?)", rows)
    columns = {c: f"c{i}" for i, c in enumerate(WORD_CONDITIONS)}
    got = {row[0]: row[1:] for row in con.execute(file_facts.facts_query(columns)).fetchall()}
    each = ", ".join(f"coalesce(bool_or({c}), false)" for c in columns)
    expected = {
        row[0]: row[1:]
        for row in con.execute(
            f"SELECT f.infohash, {each} FROM files f WHERE NOT f.is_pad GROUP BY 1"
        ).fetchall()
        if any(row[1:])
    }
    assert {h: tuple(bool(x) for x in v) for h, v in got.items()} == expected
    assert len(expected) > 100 and all(any(v[i] for v in expected.values()) for i in range(7))
