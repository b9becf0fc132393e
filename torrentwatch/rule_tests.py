"""`rules test`: run the tests that ship with each rule against real parsed torrents.

Every test torrent of every rule is encoded with ``torrentwatch.synth``, written to a
temporary folder and ingested (one worker) into a temporary warehouse, so the rule
sees exactly the columns a real ingest makes; a test torrent's ``on_lists`` put its
infohash on those hash lists there, so ``known_list`` rules can ship flag tests. Then
``fuzzy_hits`` is prepared (rules with ``fuzzy_terms``) and each rule's compiled SQL
runs over its own test torrents: flag tests must be selected, pass tests must not. A
pass test that was flagged names the facts that fired, in the words ``explain`` uses
(the term, score and token of a fuzzy match, the files, the matched text).

A rule with ``rare_for_claim`` is judged against a population of its own, whatever
other packs' tests hold: its flag and pass torrents once each, and each ``background``
item of its tests (ingested once) counted ``count`` times (``rules.populations.prepare``
over the weights table ``rule_test_population``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import libtorrent as lt

from common.textcap import QUOTE_CAP, cap_text, capped_repr
from parsers.hashlist import HashEntry
from rules import populations
from rules.compile import evidence_sql, flag_sql, rule_sql
from rules.fuzzy import prepare
from rules.model import Rule, TestTorrent
from rules.predicates import EvidenceContext
from rules.ruleset import RuleSet, load_packs
from torrentwatch.explain import fact_words, fired, raw_paths
from torrentwatch.ingest import ingest
from torrentwatch.synth import SynthTorrent, encode
from warehouse.db import connect
from warehouse.hashlists import ListVersion, entries_table, load_list_version, rejects_table


@dataclass(slots=True)
class RuleTestResult:
    rule_id: str
    where: str
    tests: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass(slots=True)
class TestReport:
    results: list[RuleTestResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def failed(self) -> list[RuleTestResult]:
        return [r for r in self.results if not r.ok]


# Characters of the fired facts a failure line quotes (a pattern may be long).
FIRED_CHARS = 1_000


def _encoded(test: TestTorrent) -> tuple[str, bytes]:
    """The .torrent of a test and its v1 infohash. It has the multi-file layout (files
    in a folder called ``name``, every path kept as written) unless the test asks for
    ``single_file``."""
    spec = SynthTorrent(name=test.name, files=test.files, multi_file=not test.single_file)
    data = encode(spec)  # a test torrent of the largest total allowed has 16,384 pieces
    infohash = hashlib.sha1(lt.bencode(lt.bdecode(data)[b"info"])).hexdigest()
    return infohash, data


def run_rule_tests(ruleset: RuleSet, workdir: Path) -> TestReport:
    """Ingest every test torrent into a warehouse under ``workdir``, check every rule."""
    folder = workdir / "torrents"
    folder.mkdir(parents=True, exist_ok=True)
    hashes: dict[TestTorrent, str] = {}
    magnets = []
    for test in {t for r in ruleset.rules.values() for t in _torrents(r)}:
        if test.magnet:
            hashes[test] = hashlib.sha1(b"rules test magnet\0" + test.name.encode()).hexdigest()
            magnets.append(f"magnet:?xt=urn:btih:{hashes[test]}&dn={quote(test.name)}\n")
            continue
        infohash, data = _encoded(test)
        hashes[test] = infohash
        (folder / f"{infohash}.torrent").write_bytes(data)
    if magnets:
        (folder / "magnets.txt").write_text("".join(sorted(magnets)), "utf-8")
    db = workdir / "rules-test.duckdb"
    ingest([folder], db, workers=1)
    _load_test_lists(db, hashes)
    _load_sightings(db, hashes)
    con = connect(db, read_only=True)
    try:
        prepare(con, ruleset.rules.values())
        results = []
        for rule in ruleset.rules.values():
            _prepare_population(con, rule, hashes)
            results.append(_check(con, rule, hashes))
        return TestReport(results)
    finally:
        con.close()


def _torrents(rule: Rule) -> tuple[TestTorrent, ...]:
    """Every torrent ``rule``'s tests ingest: its flag and pass tests, its background."""
    return (*rule.flag_tests, *rule.pass_tests, *(b.torrent for b in rule.background))


# The weights table of the population a rule's tests are judged against.
POPULATION_WEIGHTS = "rule_test_population"


def _prepare_population(con, rule: Rule, hashes: dict[TestTorrent, str]) -> None:
    """``claim_populations`` of ``rule``'s own tests: each flag and pass torrent once,
    each background item ``count`` times (a torrent listed twice adds up)."""
    if not populations.collect([rule]):
        return
    weights: dict[str, int] = {}
    for test in (*rule.flag_tests, *rule.pass_tests):
        weights[hashes[test]] = weights.get(hashes[test], 0) + 1
    for item in rule.background:
        weights[hashes[item.torrent]] = weights.get(hashes[item.torrent], 0) + item.count
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {POPULATION_WEIGHTS} (infohash VARCHAR, weight BIGINT)"
    )
    con.executemany(f"INSERT INTO {POPULATION_WEIGHTS} VALUES (?, ?)", sorted(weights.items()))
    populations.prepare(con, [rule], POPULATION_WEIGHTS)


def _load_test_lists(db: Path, hashes: dict[TestTorrent, str]) -> None:
    """Each list named by a test's ``on_lists``, as one version holding those tests."""
    members: dict[str, list[HashEntry]] = {}
    for test, infohash in sorted(hashes.items(), key=lambda item: item[1]):
        for name in test.on_lists:
            entries = members.setdefault(name, [])
            entries.append(HashEntry("infohash_v1", infohash, test.name, len(entries) + 1))
    if not members:
        return
    con = connect(db)
    try:
        for name, entries in sorted(members.items()):
            row = ListVersion(
                name=name,
                source="rules test",
                file_path="<rule tests>",
                sha256=hashlib.sha256(name.encode()).hexdigest(),
                format="text",
                loaded_at=datetime.now(UTC),
                lines=len(entries),
                duplicates=0,
                run_id=None,
            )
            load_list_version(con, row, entries_table(entries), rejects_table(()))
    finally:
        con.close()


SIGHTINGS_SQL = """\
INSERT INTO observations (infohash, source, source_ref, seen_at, category, seeders)
SELECT infohash, source, 'rules test', $now, category, seeders FROM test_sightings
WHERE infohash IN (SELECT infohash FROM torrents)"""


def _load_sightings(db: Path, hashes: dict[TestTorrent, str]) -> None:
    """Each test's ``sightings`` as rows of ``observations`` of its torrent."""
    rows = [
        (infohash, s.source, s.category, s.seeders)
        for test, infohash in hashes.items()
        for s in test.sightings
    ]
    if not rows:
        return
    con = connect(db)
    try:
        con.execute(
            "CREATE TEMP TABLE test_sightings"
            " (infohash VARCHAR, source VARCHAR, category VARCHAR, seeders INTEGER)"
        )
        con.executemany("INSERT INTO test_sightings VALUES (?, ?, ?, ?)", sorted(set(rows)))
        con.execute(SIGHTINGS_SQL, {"now": datetime.now(UTC)})
    finally:
        con.close()


def _check(con, rule: Rule, hashes: dict[TestTorrent, str]) -> RuleTestResult:
    result = RuleTestResult(rule.id, rule.where)
    tests = [(t, True) for t in rule.flag_tests] + [(t, False) for t in rule.pass_tests]
    result.tests = len(tests)
    wanted = sorted({hashes[t] for t, _ in tests})
    flagged = {
        row[0]
        for row in con.execute(
            f"SELECT * FROM ({rule_sql(rule)}) WHERE infohash IN (SELECT unnest($hashes))",
            {"hashes": wanted},
        ).fetchall()
    }
    stored = {row[0] for row in con.execute("SELECT infohash FROM torrents").fetchall()}
    for item in rule.background:
        if hashes[item.torrent] not in stored:
            files = cap_text(", ".join(p for p, _ in item.torrent.files), QUOTE_CAP)
            result.failures.append(
                f"background {capped_repr(item.torrent.name)} ({files}) did not ingest"
                " (see rejects)"
            )
    for test, should_flag in tests:
        infohash = hashes[test]
        files = cap_text(", ".join(p for p, _ in test.files), QUOTE_CAP)
        if test.magnet:
            files = "magnet only"
        if infohash not in stored:
            result.failures.append(
                f"{capped_repr(test.name)} ({files}) did not ingest (see rejects)"
            )
        elif should_flag and infohash not in flagged:
            result.failures.append(
                f"should flag but passed: {capped_repr(test.name)} ({files});"
                f" did not hold: {_missed_words(con, rule, infohash)}"
            )
        elif not should_flag and infohash in flagged:
            result.failures.append(
                f"should pass but flagged: {capped_repr(test.name)} ({files});"
                f" fired: {_fired_words(con, rule, infohash)}"
            )
    return result


def _fired_words(con, rule: Rule, infohash: str) -> str:
    """The facts of ``rule`` that fired for ``infohash``, on one line: each as
    ``explain`` words it, its items (files, matches) in brackets."""
    (evidence,) = con.execute(
        f"SELECT evidence FROM ({flag_sql(rule)}) WHERE infohash = $infohash",
        {"infohash": infohash},
    ).fetchone()
    context = EvidenceContext(raw_paths(con, infohash))
    parts = []
    for fact in fired(json.loads(evidence)):
        head, *items = fact_words(fact, context)
        parts.append(head + (f" [{', '.join(i.strip() for i in items)}]" if items else ""))
    return cap_text("; ".join(parts), FIRED_CHARS)


def _missed_words(con, rule: Rule, infohash: str) -> str:
    """The facts of ``rule`` that did not count for ``infohash`` (did not hold, or held
    under ``not``), on one line with the values they read: why a flag test passed."""
    (evidence,) = con.execute(
        f"SELECT {evidence_sql(rule)} FROM torrents t WHERE t.infohash = $infohash",
        {"infohash": infohash},
    ).fetchone()
    context = EvidenceContext(raw_paths(con, infohash))
    parts = []
    for fact in json.loads(evidence)["facts"]:
        if fact["holds"] != fact["negated"]:  # it counted (``explain.fired``)
            continue
        head, *items = fact_words(fact, context)
        parts.append(head + (f" [{', '.join(i.strip() for i in items)}]" if items else ""))
    return cap_text("; ".join(parts) or "every fact held", FIRED_CHARS)


def rules_test(paths: Iterable[str | os.PathLike[str]] = ()) -> TestReport:
    """`torrentwatch rules test`: load the packs (shipped, then ``paths``) and run the
    tests of every rule in force; the report lists each rule and its failures."""
    ruleset = load_packs(paths)
    with tempfile.TemporaryDirectory(prefix="torrentwatch-rules-test-") as tmp:
        return run_rule_tests(ruleset, Path(tmp))
