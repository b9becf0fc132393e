"""Rule quality: precision and recall of the default packs over a labeled synthetic corpus.

    .venv/bin/python bench/rules_quality.py --count 4000 --seed 7

Builds ``count`` labeled torrents (``testkit.labeled_corpus``: every disguise the
rules issue names, honest releases and hard negatives), encodes them to .torrent files,
ingests them with the real ingest stage into a temporary DuckDB warehouse, imports the
corpus's known list with ``hashlist import``, runs ``flag`` with the shipped packs (plus
``--pack`` files), and prints, as Markdown:

* torrent level: flagged by any rule vs labeled disguised, over the whole corpus and
  over the disguised torrents plus the hard negatives only;
* per rule: the rule raised vs the rule expected;
* per case kind: torrents, flagged, torrent-level errors, and the rules raised where
  not expected (false positives) or missing where expected (false negatives), with an
  example name.

Exit status 1 when a labeled torrent did not ingest (the figures would be wrong).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import kit_path  # noqa: F401  (the repository root on sys.path, for testkit/)

from parsers.normalize import display_safe
from testkit.labeled_corpus import (
    CASES,
    Counts,
    QualityReport,
    evaluate,
    labeled_corpus,
    score,
)


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _counts_row(label: str, c: Counts) -> str:
    return (
        f"| {label} | {c.tp} | {c.fp} | {c.fn} | {c.tn} | "
        f"{_ratio(c.precision)} | {_ratio(c.recall)} |"
    )


def report_lines(report: QualityReport) -> list[str]:
    """The figures as Markdown tables (what the script prints)."""
    head = ["| | TP | FP | FN | TN | precision | recall |", "|---|---:|---:|---:|---:|---:|---:|"]
    lines = ["Torrent level (flagged by any rule vs labeled disguised):", "", *head]
    lines.append(_counts_row("all torrents", report.overall))
    lines.append(_counts_row("disguised + hard negatives", report.hard_negatives))
    lines += ["", "Per rule (the rule raised vs the rule expected):", "", *head]
    lines += [_counts_row(f"`{rule}`", c) for rule, c in report.per_rule.items()]
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=4000, help="labeled torrents to build")
    parser.add_argument("--seed", type=int, default=7, help="corpus seed (same seed, same corpus)")
    parser.add_argument("--workers", type=int, default=None, help="ingest workers (default: cores)")
    parser.add_argument("--pack", action="append", default=[], help="extra rule pack (repeatable)")
    args = parser.parse_args(argv)
    if args.count < len(CASES):
        parser.error(f"--count must be at least {len(CASES)} (one torrent per case kind)")
    started = time.perf_counter()
    items = labeled_corpus(args.count, args.seed)
    with tempfile.TemporaryDirectory(prefix="torrentwatch-quality-") as tmp:
        evaluation = evaluate(items, Path(tmp), args.pack, workers=args.workers)
    if evaluation.not_ingested:
        print(f"{len(evaluation.not_ingested)} labeled torrents did not ingest:", file=sys.stderr)
        for name in evaluation.not_ingested[:20]:
            print(f"  {display_safe(name)}", file=sys.stderr)
        return 1
    report = score(evaluation.outcomes)
    disguised = sum(1 for item in items if item.disguised)
    hard = sum(1 for item in items if item.hard_negative)
    timing = ", ".join(f"{stage} {s:.1f} s" for stage, s in evaluation.seconds.items())
    print(
        f"Corpus: {len(items)} torrents (seed {args.seed}), {disguised} disguised, "
        f"{len(items) - disguised} honest of which {hard} hard negatives, "
        f"{len(CASES)} case kinds. Time: {timing}, "
        f"total {time.perf_counter() - started:.1f} s.\n"
    )
    print("\n".join(report_lines(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
