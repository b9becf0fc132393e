"""Export files as bytes, and writing them so that no reader ever sees half of one.

Rendering is a pure function of the rows (no clock, no locale, no dict-order surprises),
so the same rows give the same bytes in every format. CSV cells a spreadsheet would run
as a formula are neutralised with a leading apostrophe (OWASP's advice); strings are
already display-safe (export_items.safe) before they get here.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from common.errors import ExportWriteFailed
from torrentwatch.export_items import COLUMNS
from torrentwatch.render import neutralise

FORMATS = {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet"}


# First characters that make a spreadsheet read a cell as a formula (or DDE command):
# = + - @ tab CR LF, their full-width and small forms, and the minus sign.
def _json_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _flat(row: dict) -> dict[str, object]:
    """A row with nested values as JSON text (CSV and Parquet)."""
    return {
        name: (_json_text(row[name]) if kind == "json" and row[name] is not None else row[name])
        for name, kind in COLUMNS
    }


def csv_bytes(rows: list[dict]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _ in COLUMNS])
    for row in rows:
        cells = []
        for value in _flat(row).values():
            if value is None:
                cells.append("")
            elif isinstance(value, str):
                cells.append(neutralise(value))
            else:
                cells.append(str(value))
        writer.writerow(cells)
    return buffer.getvalue().encode("utf-8")


def jsonl_bytes(rows: list[dict]) -> bytes:
    lines = (
        json.dumps({name: row[name] for name, _ in COLUMNS}, ensure_ascii=False) for row in rows
    )
    return "".join(line + "\n" for line in lines).encode("utf-8")


def parquet_bytes(rows: list[dict], metadata: dict[str, str]) -> bytes:
    types = {"str": pa.string(), "int": pa.int64(), "json": pa.string()}
    schema = pa.schema(
        [pa.field(name, types[kind]) for name, kind in COLUMNS],
        metadata={k: v for k, v in sorted(metadata.items())},
    )
    flat = [_flat(row) for row in rows]
    table = pa.Table.from_pylist(flat, schema=schema)
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def render(fmt: str, rows: list[dict], metadata: dict[str, str]) -> bytes:
    if fmt == "csv":
        return csv_bytes(rows)
    if fmt == "jsonl":
        return jsonl_bytes(rows)
    return parquet_bytes(rows, metadata)


def sha256_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def write_atomic(path: Path, chunks: Iterable[bytes]) -> None:
    """Write ``chunks`` to ``path`` so it appears whole or not at all: a temporary file
    in the same folder, fsync, rename over ``path``, fsync the folder. On any failure
    the temporary file is removed and ``path`` is left as it was."""
    folder = path.parent
    tmp = folder / f".{path.name}.{os.getpid()}.tmp"
    try:
        with tmp.open("xb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ExportWriteFailed(f"cannot write {path}: {exc}") from exc
        raise
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
