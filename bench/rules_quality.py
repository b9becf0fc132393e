"""Rule quality: precision and recall of the default packs over a labeled corpus.

    .venv/bin/python bench/rules_quality.py --count 4000 --seed 7
    .venv/bin/python bench/rules_quality.py --corpus heldout-dev --per-class 40
    .venv/bin/python bench/rules_quality.py --corpus heldout --per-class 40

``--corpus labeled`` (the default) builds ``count`` labeled torrents
(``testkit.labeled_corpus``: every disguise the rules issue names, honest releases and
hard negatives, each labeled with the rules that must flag it), encodes them to
.torrent files, ingests them with the real ingest stage into a temporary DuckDB
warehouse, imports the corpus's known list with ``hashlist import``, runs ``flag`` with
the shipped packs (plus ``--pack`` files), and prints, as Markdown:

* torrent level: flagged by any rule vs labeled disguised, over the whole corpus and
  over the disguised torrents plus the hard negatives only;
* per rule: the rule raised vs the rule expected; rules the corpus labels nowhere
  (written after it) are listed apart, by how often they fired on honest and on
  disguised torrents;
* per case kind: torrents, flagged, torrent-level errors, and the rules raised where
  not expected (false positives) or missing where expected (false negatives), with an
  example name.

``--corpus heldout-dev`` and ``--corpus heldout`` read the blind corpus
(``testkit.heldout_corpus``, written without reading the rules) at its development
seed, which rules may be tuned on, or at its frozen held-out seed, which they never
are (``--seed`` overrides the seed, ``--per-class`` the torrents per class). That corpus
labels torrents, not rules: a torrent is flagged when a rule of level medium or
above fires. It prints the torrent-level figures, the figures per class, per rule how
many flags fell on honest and on disguised torrents, and every misclassified torrent
with its class and the rules it raised.

Exit status 1 when a labeled torrent did not ingest (the figures would be wrong).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import kit_path  # noqa: F401  (the repository root on sys.path, for testkit/)

from parsers.normalize import display_safe
from testkit.labeled_corpus import (
    CASES,
    RULE_IDS,
    Counts,
    Outcome,
    QualityReport,
    evaluate,
    labeled_corpus,
    score,
)

# The measure: a torrent counts as flagged when a rule of these levels fired.
FLAGGING_LEVELS = frozenset({"medium", "high", "critical"})
BLIND_MODULE = "testkit.heldout_corpus"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _counts_row(label: str, c: Counts) -> str:
    return (
        f"| {label} | {c.tp} | {c.fp} | {c.fn} | {c.tn} | "
        f"{_ratio(c.precision)} | {_ratio(c.recall)} |"
    )


_HEAD = ["| | TP | FP | FN | TN | precision | recall |", "|---|---:|---:|---:|---:|---:|---:|"]


def unlabeled_rules(
    outcomes: Sequence[Outcome], labeled: Iterable[str] = RULE_IDS
) -> dict[str, tuple[int, int]]:
    """Rules the labeled corpus names nowhere (written after it): rule -> (flags on
    honest torrents, flags on disguised ones). On a disguised torrent such a flag is
    no error at the torrent level; on an honest one it is a false positive."""
    known = set(labeled)
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in outcomes:
        for rule in o.flagged - known:
            tally[rule][bool(o.expected)] += 1
    return {rule: (h, d) for rule, (h, d) in sorted(tally.items())}


def report_lines(
    report: QualityReport, unlabeled: dict[str, tuple[int, int]] | None = None
) -> list[str]:
    """The labeled corpus's figures as Markdown tables (what the script prints)."""
    unlabeled = unlabeled or {}
    lines = ["Torrent level (flagged by any rule vs labeled disguised):", "", *_HEAD]
    lines.append(_counts_row("all torrents", report.overall))
    lines.append(_counts_row("disguised + hard negatives", report.hard_negatives))
    lines += ["", "Per rule (the rule raised vs the rule expected):", "", *_HEAD]
    lines += [
        _counts_row(f"`{rule}`", c) for rule, c in report.per_rule.items() if rule not in unlabeled
    ]
    if unlabeled:
        lines += [
            "",
            "Rules the corpus does not label (flags on honest = false positives):",
            "",
            "| rule | on honest | on disguised |",
            "|---|---:|---:|",
        ]
        lines += [f"| `{rule}` | {h} | {d} |" for rule, (h, d) in unlabeled.items()]
    lines += [
        "",
        "Per case kind (FP: rules raised, not expected; FN: expected, not raised):",
        "",
        "| kind | label | n | flagged | wrong | FP rules | FN rules | example |",
        "|---|---|---:|---:|---:|---|---|---|",
    ]
    for k in report.kinds:
        label = "disguised" if k.disguised else ("hard negative" if k.hard_negative else "honest")
        extra = ", ".join(f"{r} x{n}" for r, n in k.extra.items()) or "-"
        missing = ", ".join(f"{r} x{n}" for r, n in k.missing.items()) or "-"
        example = f"`{display_safe(k.example)}`" if k.example else "-"
        lines.append(
            f"| {k.kind} | {label} | {k.torrents} | {k.flagged} | {k.wrong} | {extra} | "
            f"{missing} | {example} |"
        )
    return lines


# ------------------------------------------------------------------ the blind corpus


@dataclass(frozen=True, slots=True)
class BlindOutcome:
    """One torrent of the blind corpus: its class, its label, and the rules of level
    medium or above it raised (the corpus labels torrents, not rules)."""

    name: str
    klass: str
    disguised: bool
    rules: frozenset[str]

    @property
    def flagged(self) -> bool:
        return bool(self.rules)


@dataclass(frozen=True, slots=True)
class ClassRow:
    klass: str
    torrents: int
    disguised: int
    flagged: int
    counts: Counts


@dataclass(frozen=True, slots=True)
class RuleRow:
    """How many flags of a rule fell on honest and on disguised torrents."""

    rule: str
    on_honest: int
    on_disguised: int

    @property
    def precision(self) -> float | None:
        total = self.on_honest + self.on_disguised
        return self.on_disguised / total if total else None


@dataclass(frozen=True, slots=True)
class BlindReport:
    overall: Counts
    classes: list[ClassRow]
    rules: list[RuleRow]
    wrong: list[BlindOutcome]  # false positives, then false negatives, by class and name


def _pairs(outcomes: Iterable[BlindOutcome]) -> Counts:
    tally = Counter((o.disguised, o.flagged) for o in outcomes)
    return Counts(
        tp=tally[(True, True)],
        fp=tally[(False, True)],
        fn=tally[(True, False)],
        tn=tally[(False, False)],
    )


def blind_score(outcomes: Sequence[BlindOutcome]) -> BlindReport:
    """Torrent-level confusion counts, overall and per class; per rule the flags on
    honest and on disguised torrents; the misclassified torrents."""
    grouped: dict[str, list[BlindOutcome]] = defaultdict(list)
    for o in outcomes:
        grouped[o.klass].append(o)
    classes = [
        ClassRow(
            klass=klass,
            torrents=len(group),
            disguised=sum(1 for o in group if o.disguised),
            flagged=sum(1 for o in group if o.flagged),
            counts=_pairs(group),
        )
        for klass, group in sorted(grouped.items())
    ]
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in outcomes:
        for rule in o.rules:
            tally[rule][o.disguised] += 1
    rules = [RuleRow(rule, h, d) for rule, (h, d) in sorted(tally.items())]
    wrong = sorted(
        (o for o in outcomes if o.disguised != o.flagged),
        key=lambda o: (o.disguised, o.klass, o.name),
    )
    return BlindReport(_pairs(outcomes), classes, rules, wrong)


def blind_report_lines(report: BlindReport, limit: int = 200) -> list[str]:
    """The blind corpus's figures as Markdown tables (what the script prints); at most
    ``limit`` misclassified torrents are listed."""
    lines = [
        "Torrent level (a rule of level medium or above fired vs labeled disguised):",
        "",
        *_HEAD,
        _counts_row("all torrents", report.overall),
        "",
        "Per class:",
        "",
        "| class | n | disguised | flagged | TP | FP | FN | TN | precision | recall |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in report.classes:
        c = row.counts
        lines.append(
            f"| {row.klass} | {row.torrents} | {row.disguised} | {row.flagged} | {c.tp} | "
            f"{c.fp} | {c.fn} | {c.tn} | {_ratio(c.precision)} | {_ratio(c.recall)} |"
        )
    lines += [
        "",
        "Per rule (flags of level medium or above on honest and on disguised torrents):",
        "",
        "| rule | on honest | on disguised | precision |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| `{r.rule}` | {r.on_honest} | {r.on_disguised} | {_ratio(r.precision)} |"
        for r in report.rules
    ]
    lines += [
        "",
        f"Misclassified ({len(report.wrong)}; FP: honest flagged, FN: disguised not flagged):",
        "",
        "| | class | name | rules raised |",
        "|---|---|---|---|",
    ]
    for o in report.wrong[:limit]:
        rules = ", ".join(f"`{r}`" for r in sorted(o.rules)) or "-"
        label = "FN" if o.disguised else "FP"
        lines.append(f"| {label} | {o.klass} | `{display_safe(o.name)}` | {rules} |")
    if len(report.wrong) > limit:
        lines.append(f"| | | … and {len(report.wrong) - limit} more | |")
    return lines


def blind_module():
    """The blind corpus generator, imported only when asked for (it lives on its own
    branch until merged)."""
    return importlib.import_module(BLIND_MODULE)


def evaluate_blind(
    items: Sequence, module, workdir: Path, packs: Iterable[str | Path] = (), workers=None
) -> tuple[list[BlindOutcome], list[str], dict[str, float]]:
    """Encode the blind corpus's items (``module.to_synth``), ingest them, run ``flag``,
    and read back the rules of level medium or above each raised. Returns the outcomes,
    the names that did not ingest, and the seconds per stage."""
    from testkit.labeled_corpus import infohash_v1
    from torrentwatch.flag import flag
    from torrentwatch.ingest import ingest
    from torrentwatch.synth import encode
    from warehouse.db import connect

    seconds: dict[str, float] = {}
    start = time.perf_counter()
    folder = workdir / "torrents"
    folder.mkdir(parents=True, exist_ok=True)
    hashes = []
    for i, item in enumerate(items):
        data = encode(module.to_synth(item))
        hashes.append(infohash_v1(data))
        (folder / f"{i:06d}.torrent").write_bytes(data)
    seconds["encode"] = time.perf_counter() - start
    db = workdir / "quality.duckdb"
    start = time.perf_counter()
    ingest([folder], db, workers=workers)
    seconds["ingest"] = time.perf_counter() - start
    start = time.perf_counter()
    flag(db, packs)
    seconds["flag"] = time.perf_counter() - start
    con = connect(db, read_only=True)
    try:
        stored = {row[0] for row in con.execute("SELECT infohash FROM torrents").fetchall()}
        raised: dict[str, set[str]] = defaultdict(set)
        for infohash, rule_id, level in con.execute(
            "SELECT infohash, rule_id, level FROM flags WHERE active"
        ).fetchall():
            if level in FLAGGING_LEVELS:
                raised[infohash].add(rule_id)
    finally:
        con.close()
    outcomes = [
        BlindOutcome(item.name, item.klass, bool(item.disguised), frozenset(raised[h]))
        for item, h in zip(items, hashes, strict=True)
    ]
    missing = [item.name for item, h in zip(items, hashes, strict=True) if h not in stored]
    return outcomes, missing, seconds


# ------------------------------------------------------------------ the script


def _not_ingested(names: Sequence[str]) -> int:
    print(f"{len(names)} labeled torrents did not ingest:", file=sys.stderr)
    for name in names[:20]:
        print(f"  {display_safe(name)}", file=sys.stderr)
    return 1


def _labeled(args, parser) -> int:
    if args.count < len(CASES):
        parser.error(f"--count must be at least {len(CASES)} (one torrent per case kind)")
    started = time.perf_counter()
    seed = 7 if args.seed is None else args.seed
    items = labeled_corpus(args.count, seed)
    with tempfile.TemporaryDirectory(prefix="torrentwatch-quality-") as tmp:
        evaluation = evaluate(items, Path(tmp), args.pack, workers=args.workers)
    if evaluation.not_ingested:
        return _not_ingested(evaluation.not_ingested)
    report = score(evaluation.outcomes)
    disguised = sum(1 for item in items if item.disguised)
    hard = sum(1 for item in items if item.hard_negative)
    timing = ", ".join(f"{stage} {s:.1f} s" for stage, s in evaluation.seconds.items())
    print(
        f"Corpus: {len(items)} torrents (seed {seed}), {disguised} disguised, "
        f"{len(items) - disguised} honest of which {hard} hard negatives, "
        f"{len(CASES)} case kinds. Time: {timing}, "
        f"total {time.perf_counter() - started:.1f} s.\n"
    )
    print("\n".join(report_lines(report, unlabeled_rules(evaluation.outcomes))))
    return 0


def _blind(args, parser) -> int:
    try:
        module = blind_module()
    except ModuleNotFoundError as exc:
        if exc.name != BLIND_MODULE:
            raise
        parser.error(f"--corpus {args.corpus}: {BLIND_MODULE} is not in this tree")
    held_out = args.corpus == "heldout"
    seed = args.seed
    if seed is None:
        seed = module.HELDOUT_SEED if held_out else module.DEVELOPMENT_SEED
    started = time.perf_counter()
    items = module.corpus(seed, args.per_class)
    with tempfile.TemporaryDirectory(prefix="torrentwatch-quality-") as tmp:
        outcomes, missing, seconds = evaluate_blind(
            items, module, Path(tmp), args.pack, workers=args.workers
        )
    if missing:
        return _not_ingested(missing)
    report = blind_score(outcomes)
    disguised = sum(1 for o in outcomes if o.disguised)
    timing = ", ".join(f"{stage} {s:.1f} s" for stage, s in seconds.items())
    which = "frozen held-out seed" if seed == module.HELDOUT_SEED else "development seed"
    if seed not in (module.HELDOUT_SEED, module.DEVELOPMENT_SEED):
        which = "another seed"
    print(
        f"Blind corpus {module.GENERATOR_VERSION}: {len(items)} torrents (seed {seed}, "
        f"{which}, {args.per_class} per class), {disguised} disguised, "
        f"{len(items) - disguised} honest, {len(report.classes)} classes. Time: {timing}, "
        f"total {time.perf_counter() - started:.1f} s.\n"
    )
    print("\n".join(blind_report_lines(report, args.list)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus",
        choices=("labeled", "heldout-dev", "heldout"),
        default="labeled",
        help="labeled: the rule-labeled corpus; heldout-dev: the blind corpus at its "
        "development seed (tune on this); heldout: at its frozen held-out seed (never tune)",
    )
    parser.add_argument("--count", type=int, default=4000, help="labeled torrents to build")
    parser.add_argument(
        "--seed", type=int, default=None, help="corpus seed (default: 7, or the blind seed)"
    )
    parser.add_argument("--per-class", type=int, default=40, help="blind torrents per class")
    parser.add_argument("--list", type=int, default=200, help="misclassified torrents to list")
    parser.add_argument("--workers", type=int, default=None, help="ingest workers (default: cores)")
    parser.add_argument("--pack", action="append", default=[], help="extra rule pack (repeatable)")
    args = parser.parse_args(argv)
    if args.corpus == "labeled":
        return _labeled(args, parser)
    return _blind(args, parser)


if __name__ == "__main__":
    sys.exit(main())
