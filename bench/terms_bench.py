"""Term-file benchmark: loading a pack whose ``fuzzy_terms`` list has N terms.

    .venv/bin/python bench/terms_bench.py --terms 100000 1000000 --repeat 3

Writes (into a temporary folder) a term file of N distinct benign made-up titles
(two or three words from small word pools and a number, ~20 bytes a line, with a
comment line and a duplicate every 100 lines, so comments and the seen-set are
exercised), and a one-rule pack naming it, then times ``rules.ruleset.load_packs`` on
that pack alone (reading, decoding, parsing, de-duplicating and checking the terms:
what `rules lint`, `rules test` and `flag` all pay for each term file). Prints the
median of ``--repeat`` runs per N as JSON lines. Works on any version of the loader
(it only calls ``load_packs``), so the same script measures before and after a change.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from rules.ruleset import load_packs

FIRST = ("kart", "castle", "robot", "pixel", "galaxy", "harbor", "winter", "comet")
SECOND = ("racer", "quest", "dungeon", "garden", "lights", "river", "tales", "arena")
THIRD = ("deluxe", "origins", "remix", "legends", "", "", "", "")

PACK = """\
rules:
  - id: bench.terms
    version: 1
    title: Term-file benchmark
    description: Benign made-up titles.
    level: low
    when:
      fuzzy_terms: {terms: terms.txt}
    tests:
      pass: [{name: "Harbor.Lights.PS3-DEMO", files: [["harbor.iso", 7000000]]}]
"""


def term_lines(count: int) -> str:
    """``count`` distinct terms, one a line, with a comment and a repeat every 100."""
    lines = []
    for i in range(count):
        words = [FIRST[i % 8], SECOND[(i // 8) % 8], THIRD[(i // 64) % 8], str(i)]
        lines.append(" ".join(w for w in words if w))
        if i % 100 == 99:
            lines.append(f"# block {i // 100}")
            lines.append(lines[-2])
    return "\n".join(lines) + "\n"


def time_load(folder: Path, count: int, repeat: int) -> dict:
    (folder / "terms.txt").write_text(term_lines(count), encoding="utf-8")
    (folder / "pack.yaml").write_text(PACK, encoding="utf-8")
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        ruleset = load_packs([folder / "pack.yaml"], shipped=False)
        seconds.append(time.perf_counter() - start)
    loaded = len(ruleset.rules["bench.terms"].when.term_list)
    if loaded != count:
        raise SystemExit(f"loaded {loaded} terms, wrote {count}")
    size = (folder / "terms.txt").stat().st_size
    return {"terms": count, "bytes": size, "seconds": round(statistics.median(seconds), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="terms-bench-") as tmp:
        for count in args.terms:
            print(json.dumps(time_load(Path(tmp), count, args.repeat)), flush=True)


if __name__ == "__main__":
    main()
