"""CPU time of `ingest`, a magnetico import or release-name parsing, this checkout
against another, alternating.

    .venv/bin/python bench/cpu_ab.py --code /path/to/older/checkout --stage ingest --count 20000
    .venv/bin/python bench/cpu_ab.py --code /path/to/older/checkout --stage magnetico --count 100000
    .venv/bin/python bench/cpu_ab.py --code /path/to/older/checkout --stage release --count 20000

Wall time on a shared two-core machine moves by 20% from one run to the next; the CPU
seconds a run costs (its own and its worker processes', user + system) move far less,
so they show what a change costs. The same inputs are generated once (benign synthetic
torrents of 20 files, or magnetico JSON lines), then each checkout runs the stage in a
fresh child process (``PYTHONPATH`` set to that checkout, a fresh warehouse), the two
alternating ``--repeat`` times. Prints the median CPU and wall seconds of each and the
ratio, as a Markdown table.

``--stage release`` times ``parsers.release.parse_release_array`` alone (the names
already normalised and split, as ingest passes them), in each child over three sets
of names: ``count`` synthetic ingest names (``torrentwatch.synth``), the labeled
corpus's 4,000 (``testkit.labeled_corpus``) and ``count`` invented real-world video
names in 13 styles (``bench/claim_coverage.py``: non-Latin scripts, fansub brackets,
untagged). CPU is that call's own, best of five, per set; a line per set is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = """
import json, os, resource, sys, time
from pathlib import Path

stage, source, db = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
start = time.perf_counter()
if stage == "release":
    import pyarrow as pa
    from parsers.normalize import normalize_array, tokens_array
    from parsers.release import parse_release_array, vocabulary
    out, counts = {}, {}
    for key, names in json.loads(source.read_text("utf-8")).items():
        arr = pa.array(names, pa.string())
        tokens = tokens_array(normalize_array(arr))
        best = []
        for _ in range(5):
            vocabulary().claims.clear()
            vocabulary().digit_cache.clear()
            t0 = time.process_time()
            parse_release_array(arr, tokens)
            best.append(time.process_time() - t0)
        out[key] = min(best)
        counts[key] = len(names)
    print(json.dumps({"cpu": sum(out.values()), "wall": 0.0, "sets": out, "counts": counts}))
    sys.exit(0)
if stage == "ingest":
    from torrentwatch.ingest import ingest
    ingest([source], db, workers=2)
else:
    from torrentwatch.import_magnetico import import_magnetico
    import_magnetico(source, db, workers=1)
wall = time.perf_counter() - start
own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
print(json.dumps({"cpu": cpu, "wall": wall}))
"""


def _inputs(stage: str, count: int, folder: Path) -> Path:
    """Write the inputs with this checkout's generators (the same bytes for both runs)."""
    if stage == "release":
        return _release_names(count, folder)
    if stage == "ingest":
        from torrentwatch.synth import encode, synthetic_specs

        target = folder / "torrents"
        target.mkdir()
        for i, spec in enumerate(synthetic_specs(count, files_per_torrent=20)):
            (target / f"{i:06d}.torrent").write_bytes(encode(spec))
        return target
    from testkit.magnetico_exports import write_synthetic_export

    target = folder / "export.jsonl"
    write_synthetic_export(target, count)
    return target


def _release_names(count: int, folder: Path) -> Path:
    """The three name sets of ``--stage release`` as one JSON file."""
    import kit_path  # noqa: F401  (the repository root on sys.path, for testkit/)
    from claim_coverage import generate  # bench/ is this script's folder, on sys.path

    from testkit.labeled_corpus import labeled_corpus
    from torrentwatch.synth import synthetic_specs

    names = {
        "synthetic": [spec.name for spec in synthetic_specs(count, files_per_torrent=1)],
        "labeled": [item.spec.name for item in labeled_corpus(4000, 7)],
        "real-world styles": [name for _, name, _, _ in generate(count, 14)],
    }
    target = folder / "names.json"
    target.write_text(json.dumps(names), encoding="utf-8")
    return target


def _run(code: Path, stage: str, source: Path, folder: Path) -> dict[str, float]:
    db = folder / "w.duckdb"
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, stage, str(source), str(db)],
        cwd=code,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    db.unlink(missing_ok=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, required=True, help="the other checkout")
    parser.add_argument("--stage", choices=("ingest", "magnetico", "release"), default="ingest")
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    here = Path(__file__).resolve().parent.parent
    runs: dict[str, list[dict[str, float]]] = {"this": [], "other": []}
    with tempfile.TemporaryDirectory(prefix="cpu-ab-") as tmp:
        folder = Path(tmp)
        source = _inputs(args.stage, args.count, folder)
        for _ in range(args.repeat):
            runs["this"].append(_run(here, args.stage, source, folder))
            runs["other"].append(_run(args.code.resolve(), args.stage, source, folder))
    cpu = {k: statistics.median(r["cpu"] for r in v) for k, v in runs.items()}
    wall = {k: statistics.median(r["wall"] for r in v) for k, v in runs.items()}
    print(f"{args.stage}, {args.count:,} inputs, medians of {args.repeat} alternating runs")
    print("| checkout | CPU s | wall s |\n|---|---:|---:|")
    for name in ("other", "this"):
        print(f"| {name} | {cpu[name]:.2f} | {wall[name]:.2f} |")
    print(f"CPU this / other = {cpu['this'] / cpu['other']:.3f}")
    if args.stage == "release":
        _print_sets(runs)


def _print_sets(runs: dict[str, list[dict]]) -> None:
    """``--stage release``: median CPU per name of each set, and the ratio."""
    print("| names | other µs/name | this µs/name | this / other |\n|---|---:|---:|---:|")
    for key in runs["this"][0]["sets"]:
        each = {k: statistics.median(r["sets"][key] for r in v) for k, v in runs.items()}
        count = runs["this"][0]["counts"][key]
        other, this = (each[k] / count * 1e6 for k in ("other", "this"))
        print(f"| {key} ({count:,}) | {other:.2f} | {this:.2f} | {this / other:.2f} |")


if __name__ == "__main__":
    main()
