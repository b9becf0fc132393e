"""The rule set cache (rules.pack_cache): a hit gives what reading gives without reading;
any change of pack bytes is a miss; a damaged entry, or a folder or file someone else
could write, is never unpickled; a pack with problems is never kept."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest
from rule_packs import rule_pack

import rules.ruleset as ruleset_module
from common.errors import RulesInvalid
from rules import pack_cache
from rules.ruleset import fingerprint, load_packs
from torrentwatch.flag import flag

WHEN = 'regex: {pattern: "kart"}'


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(pack_cache.ENV, str(folder))
    return folder / pack_cache.SUBDIR


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    path = tmp_path / "packs" / "one.yaml"
    path.parent.mkdir()
    path.write_text(rule_pack(WHEN), encoding="utf-8")
    return path


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.pickle")) if cache.exists() else []


def _same(a, b) -> None:
    assert list(a.rules) == list(b.rules)
    assert [fingerprint(r) for r in a.rules.values()] == [fingerprint(r) for r in b.rules.values()]
    assert (a.disabled, a.overridden, a.packs, a.warnings) == (
        b.disabled,
        b.overridden,
        b.packs,
        b.warnings,
    )


def _no_reading(monkeypatch) -> None:
    def refuse(*_a, **_k):
        raise AssertionError("the packs were read again")

    monkeypatch.setattr(ruleset_module, "parse_pack_bytes", refuse)


def test_a_second_load_is_the_kept_rule_set_without_reading(cache, pack, monkeypatch):
    first = load_packs([pack])
    assert len(_entries(cache)) == 1
    assert cache.stat().st_mode & 0o777 == 0o700
    assert _entries(cache)[0].stat().st_mode & 0o777 == 0o600
    _no_reading(monkeypatch)
    again = load_packs([pack])
    _same(first, again)
    assert again is not first  # a private copy: a caller may change its own


def test_changed_pack_bytes_are_read_again(cache, pack, monkeypatch):
    load_packs([pack])
    pack.write_text(rule_pack(WHEN.replace("kart", "racer")), encoding="utf-8")
    changed = load_packs([pack])
    assert "racer" in changed.rules["demo.rule"].sql
    assert len(_entries(cache)) == 2
    # A pack added to the folder is a change too.
    (pack.parent / "two.yaml").write_text(
        rule_pack(WHEN).replace("demo.rule", "demo.other"), encoding="utf-8"
    )
    assert set(load_packs([pack.parent]).rules) >= {"demo.rule", "demo.other"}


def test_a_changed_term_file_is_read_again(cache, tmp_path, monkeypatch):
    """The pack's bytes are the same, the term list it names is not: a miss."""
    folder = tmp_path / "fuzzy"
    folder.mkdir()
    (folder / "titles.txt").write_text("Comet River\n", encoding="utf-8")
    pack = folder / "fuzzy.yaml"
    pack.write_text(rule_pack("fuzzy_terms: {terms: titles.txt, threshold: 90}"), encoding="utf-8")
    first = load_packs([pack])
    assert [path for path, _ in first.reads] == [str(folder / "titles.txt")]
    (folder / "titles.txt").write_text("Quiet Harbour\n", encoding="utf-8")
    changed = load_packs([pack])
    assert fingerprint(changed.rules["demo.rule"]) != fingerprint(first.rules["demo.rule"])
    _no_reading(monkeypatch)
    assert fingerprint(load_packs([pack]).rules["demo.rule"]) == fingerprint(
        changed.rules["demo.rule"]
    )
    # A term file gone: not handed out (loading then says what is missing).
    (folder / "titles.txt").unlink()
    monkeypatch.undo()
    monkeypatch.setenv(pack_cache.ENV, str(cache.parent))
    with pytest.raises(RulesInvalid, match=r"rules\.terms_missing"):
        load_packs([pack])


def test_the_key_holds_the_code_and_the_layering(pack):
    sources = [("one.yaml", pack.read_bytes())]
    assert pack_cache.key(sources, True) != pack_cache.key(sources, False)
    assert pack_cache.key(sources, True) != pack_cache.key([("two.yaml", b"x"), *sources], True)
    # Name and bytes are delimited: moving a byte from one to the other is another key.
    assert pack_cache.key([("ab", b"c")], True) != pack_cache.key([("a", b"bc")], True)
    pack_cache.code_key.cache_clear()
    try:
        before = pack_cache.code_key()
        assert len(before) == 64
    finally:
        pack_cache.code_key.cache_clear()


def test_a_damaged_entry_is_a_miss_and_is_written_again(cache, pack):
    first = load_packs([pack])
    (entry,) = _entries(cache)
    entry.write_bytes(b"\x80\x05not a pickle")
    _same(first, load_packs([pack]))
    assert pickle.loads(entry.read_bytes()).rules.keys() == first.rules.keys()
    # Something else pickled there (not a rule set): a miss as well.
    entry.write_bytes(pickle.dumps({"not": "a rule set"}))
    _same(first, load_packs([pack]))


def test_an_entry_that_is_a_fifo_is_a_miss_and_does_not_hang(cache, pack):
    """A FIFO where an entry should be: never opened for a blocking read; the packs are
    read and the entry written again over it."""
    import os
    import stat

    first = load_packs([pack])
    (entry,) = _entries(cache)
    entry.unlink()
    os.mkfifo(entry, 0o600)
    _same(first, load_packs([pack]))
    assert stat.S_ISREG(entry.stat().st_mode)


def test_a_folder_or_entry_others_can_write_is_not_read(cache, pack, monkeypatch):
    load_packs([pack])
    (entry,) = _entries(cache)
    entry.chmod(0o660)  # group-writable: someone else could have put code there
    calls = []
    real = ruleset_module.parse_pack_bytes
    monkeypatch.setattr(
        ruleset_module, "parse_pack_bytes", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    load_packs([pack])
    assert calls, "a group-writable entry was unpickled"
    entry.chmod(0o600)
    cache.chmod(0o777)  # a folder anyone can write: not read, not written
    calls.clear()
    load_packs([pack])
    assert calls
    shutil.rmtree(cache)
    cache.mkdir(mode=0o777)
    cache.chmod(0o777)
    load_packs([pack])
    assert _entries(cache) == []


def test_a_pack_with_problems_is_never_kept(cache, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(rule_pack("no_such_predicate: {}"), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(RulesInvalid):
            load_packs([bad])
    assert _entries(cache) == []


def test_off_keeps_nothing(tmp_path, pack, monkeypatch):
    monkeypatch.setenv(pack_cache.ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    load_packs([pack])
    assert not (tmp_path / "xdg").exists() and not (tmp_path / "home").exists()
    assert pack_cache.cache_dir() is None


def test_the_default_folder_is_the_users_cache(tmp_path, monkeypatch):
    monkeypatch.delenv(pack_cache.ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert pack_cache.cache_dir() == tmp_path / "xdg" / "torrentwatch" / pack_cache.SUBDIR
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert pack_cache.cache_dir() == tmp_path / "home" / ".cache" / "torrentwatch" / "rulesets"


def test_no_home_and_a_relative_folder_keep_nothing(tmp_path, pack, monkeypatch):
    """A user without a home (``~`` stays as written) or a relative folder given: no
    cache, rather than a folder wherever the process runs."""
    monkeypatch.delenv(pack_cache.ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(pack_cache.os.path, "expanduser", lambda path: path)
    monkeypatch.chdir(tmp_path)
    assert pack_cache.cache_dir() is None
    load_packs([pack])
    monkeypatch.setenv(pack_cache.ENV, "relative-cache")
    assert pack_cache.cache_dir() is None
    load_packs([pack])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["packs"]


def test_only_the_newest_entries_are_kept(cache, pack, monkeypatch):
    monkeypatch.setattr(pack_cache, "KEEP", 3)
    for i in range(5):
        pack.write_text(rule_pack(WHEN.replace("kart", f"kart{i}")), encoding="utf-8")
        load_packs([pack])
    assert len(_entries(cache)) == 3


def test_a_flag_run_from_the_kept_rule_set_raises_the_same_flags(
    flagged_demo_template, tmp_path, cache, monkeypatch
):
    """The demo warehouse flagged in full with the packs read, and again with them from
    the cache: the same flags."""
    results = []
    for name in ("read", "kept"):
        db = tmp_path / f"{name}.duckdb"
        shutil.copy(flagged_demo_template, db)
        if name == "kept":
            assert _entries(cache), "the first run kept nothing"
            _no_reading(monkeypatch)
        flag(db, full=True)
        from warehouse.db import connect

        con = connect(db, read_only=True)
        try:
            results.append(
                con.execute(
                    "SELECT infohash, rule_id, rule_version, level, score,"
                    " evidence::VARCHAR, active FROM flags ORDER BY ALL"
                ).fetchall()
            )
        finally:
            con.close()
    assert results[0] == results[1] and results[0]
