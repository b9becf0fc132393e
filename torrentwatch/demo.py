"""The demo: ingest the bundled benign demo data and show what an analyst gets."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pyarrow as pa

from torrentwatch.flag import FlagSummary, flag
from torrentwatch.ingest import IngestSummary, ingest
from torrentwatch.query import sql

EXAMPLE_QUERIES: dict[str, str] = {
    "Active flags, most severe first (torrentwatch explain INFOHASH says why)": """
SELECT f.level, f.rule_id, t.name, f.infohash
FROM flags f JOIN torrents t USING (infohash)
WHERE f.active
ORDER BY list_position(['critical', 'high', 'medium', 'low', 'informational'], f.level),
         f.rule_id, t.name""",
    "Console releases whose bytes are mostly video or images": """
SELECT name, claimed_platform, dominant_kind,
       round(share_bytes_video + share_bytes_image, 2) AS media_share, file_count
FROM torrents
WHERE claimed_category = 'game_console'
  AND share_bytes_video + share_bytes_image >= 0.6
  AND count_disc_image = 0 AND count_game_package = 0
ORDER BY media_share DESC""",
    "Rejected inputs and why": """
SELECT reason, source_ref, detail FROM rejects ORDER BY reason, source_ref""",
}


def demo_data_dir() -> Path:
    """The bundled demo folder (benign synthetic torrents and magnet lists)."""
    return Path(str(resources.files("torrentwatch") / "demo"))


def demo(
    db: str | Path = "torrentwatch.duckdb",
    *,
    workers: int | None = None,
    on_progress: Callable[[IngestSummary], None] | None = None,
) -> tuple[IngestSummary, FlagSummary]:
    """The main job on the demo data: ingest it, then flag it with the shipped packs."""
    return ingest([demo_data_dir()], db, workers=workers, on_progress=on_progress), flag(db)


def examples(db: str | Path) -> list[tuple[str, str, pa.Table]]:
    """Each example query (title, statement) with what it finds in ``db``."""
    return [(title, query, sql(db, query)) for title, query in EXAMPLE_QUERIES.items()]


def workbench_hint(db: str | Path) -> list[str]:
    """How to open the analyst workbench on the demo warehouse (printed last)."""
    return [
        "Review the flags in a browser (the analyst workbench, docs/workbench.md):",
        f"  torrentwatch users add YOUR-NAME --role lead --db {db}",
        f"  torrentwatch serve --db {db}",
        "  then open http://127.0.0.1:8765/ and log in",
    ]
