"""Hotline exports: confirmed flags as CSV, JSON lines or Parquet, with a manifest.

Incremental per target: ``export_items`` records what each target received, keyed by
(torrent, evidence the decision was made on), so a target receives a torrent once, and
again only after it was confirmed on new evidence. "The same export" is one batch: the
same items for the same target. Its id is the SHA-256 of its content, every value in
its files comes from the warehouse (no wall clock), and its rows are kept in
``export_items``, so writing it again (``batch=``) gives byte-identical files. Files are
written atomically, the manifest last; the batch is recorded only after both are on disk
(a crash in between leaves files that a re-run rewrites with the same bytes).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from common.errors import ExportInvalid, ExportWriteFailed, ManifestInvalid
from torrentwatch.export_files import FORMATS, render, sha256_file, write_atomic
from torrentwatch.export_items import (
    COLUMNS,
    NO_CONTENT_STATEMENT,
    SCHEMA_VERSION,
    build_items,
)
from torrentwatch.review import open_warehouse
from warehouse.lanes import serialized
from warehouse.runs import recorded_run

TARGET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
BATCH_ID = re.compile(r"^[0-9a-f]{32}$")
MANIFEST_VERSION = 1


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What one `torrentwatch export` did; ``batch_id`` is None when nothing was new."""

    target: str
    format: str
    batch_id: str | None
    items: int
    file: Path | None
    manifest: Path | None
    rerun: bool  # an earlier batch written again


@dataclass(frozen=True, slots=True)
class VerifyReport:
    manifest: Path
    files: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _canon(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def file_names(target: str, batch_id: str, fmt: str) -> tuple[str, str]:
    data = f"{target}-{batch_id}.{FORMATS[fmt]}"
    return data, f"{data}.manifest.json"


def _check(target: str | None, fmt: str) -> None:
    if fmt not in FORMATS:
        raise ExportInvalid(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")
    if target is not None and not TARGET_NAME.match(target):
        raise ExportInvalid(
            f"target {target!r} must be 1-64 letters, digits, '.', '_' or '-', starting "
            "with a letter or digit (it names the export files)"
        )


def _meta(con, target: str, items: list[dict], escalated: bool) -> dict:
    """The batch's data-derived description (the manifest minus its files)."""
    rule_versions = {e["rule_id"]: e["rule_version"] for item in items for e in item["evidence"]}
    lists = con.execute(
        "SELECT name, max(version) FROM hash_lists GROUP BY name ORDER BY name"
    ).fetchall()
    (required,) = con.execute(
        "SELECT coalesce(max_by(required_confirmers, version), 1) FROM review_policy"
    ).fetchone()
    decided = [r["decided_at"] for item in items for r in item["reviews"]]
    first_seen = [i["first_seen"] for i in items if i["first_seen"]]
    last_seen = [i["last_seen"] for i in items if i["last_seen"]]
    return {
        "schema_version": SCHEMA_VERSION,
        "target": target,
        "items": len(items),
        "selection": "confirmed+escalated" if escalated else "confirmed",
        "required_confirmers": required,
        "rule_versions": dict(sorted(rule_versions.items())),
        "hash_list_versions": {name: version for name, version in lists},
        "time_window": {
            "decisions_from": min(decided, default=None),
            "decisions_to": max(decided, default=None),
            "seen_from": min(first_seen, default=None),
            "seen_to": max(last_seen, default=None),
        },
        "no_content_downloaded": NO_CONTENT_STATEMENT,
    }


def _write(out_dir: Path, fmt: str, meta: dict, batch_id: str, rows: list[dict]):
    """Data file, then manifest, each atomically; returns both paths and their facts."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportWriteFailed(f"cannot create export folder {out_dir}: {exc}") from exc
    data_name, manifest_name = file_names(meta["target"], batch_id, fmt)
    data = render(fmt, rows, {"schema_version": SCHEMA_VERSION, "batch_id": batch_id})
    write_atomic(out_dir / data_name, [data])
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "batch_id": batch_id,
        "format": fmt,
        **meta,
        "files": [
            {
                "name": data_name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
                "rows": len(rows),
            }
        ],
        "rows": len(rows),
    }
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    write_atomic(out_dir / manifest_name, [manifest_bytes.encode("utf-8")])
    return out_dir / data_name, out_dir / manifest_name, manifest


def _record_file(con, run_id, batch_id, target, fmt, data_path, manifest_path, rows) -> None:
    file_sha, size = sha256_file(data_path)
    manifest_sha, _ = sha256_file(manifest_path)
    con.execute(
        "INSERT INTO exports VALUES "
        "($b, $t, $f, $fn, $fs, $bytes, $rows, $mn, $ms, $dir, $now, $run)",
        {
            "b": batch_id,
            "t": target,
            "f": fmt,
            "fn": data_path.name,
            "fs": file_sha,
            "bytes": size,
            "rows": rows,
            "mn": manifest_path.name,
            "ms": manifest_sha,
            "dir": str(data_path.parent.resolve()),
            "now": datetime.now(UTC),
            "run": run_id,
        },
    )


def _record_batch(con, run_id, batch_id, meta, chosen) -> None:
    con.execute(
        "INSERT INTO export_batches VALUES ($b, $t, $s, $n, $m, $now, $run)",
        {
            "b": batch_id,
            "t": meta["target"],
            "s": SCHEMA_VERSION,
            "n": len(chosen),
            "m": json.dumps(meta, sort_keys=True),
            "now": datetime.now(UTC),
            "run": run_id,
        },
    )
    staged = pa.table(
        {
            "batch_id": [batch_id] * len(chosen),
            "target": [meta["target"]] * len(chosen),
            "position": list(range(1, len(chosen) + 1)),
            "infohash": [item["infohash"] for item, _, _ in chosen],
            "review_id": [review_id for _, review_id, _ in chosen],
            "evidence_sha256": [digest for _, _, digest in chosen],
            "review_status": [item["review_status"] for item, _, _ in chosen],
            "item": [json.dumps(item, ensure_ascii=False) for item, _, _ in chosen],
        }
    )
    con.register("staged_export_items", staged)
    con.execute("INSERT INTO export_items SELECT * FROM staged_export_items")
    con.unregister("staged_export_items")


def _rerun(con, run_id, batch_id, target, fmt, out_dir) -> ExportResult:
    if not BATCH_ID.match(batch_id):
        raise ExportInvalid(f"batch id {batch_id!r} is not 32 lowercase hex digits")
    found = con.execute(
        "SELECT target, meta FROM export_batches WHERE batch_id = $b", {"b": batch_id}
    ).fetchone()
    if found is None:
        raise ExportInvalid(f"no export batch {batch_id} in the warehouse")
    if target is not None and target != found[0]:
        raise ExportInvalid(f"batch {batch_id} went to target {found[0]!r}, not {target!r}")
    meta = json.loads(found[1])
    rows = [
        json.loads(item)
        for (item,) in con.execute(
            "SELECT item FROM export_items WHERE batch_id = $b ORDER BY position", {"b": batch_id}
        ).fetchall()
    ]
    data_path, manifest_path, _ = _write(out_dir, fmt, meta, batch_id, rows)
    _record_file(con, run_id, batch_id, meta["target"], fmt, data_path, manifest_path, len(rows))
    return ExportResult(meta["target"], fmt, batch_id, len(rows), data_path, manifest_path, True)


def _new_batch(con, run_id, target, fmt, out_dir, escalated) -> ExportResult:
    written: list[Path] = []

    def forget_written() -> None:
        """Files of an attempt that was not committed are nobody's batch: remove them."""
        for path in written:
            path.unlink(missing_ok=True)
        written.clear()

    def choose_write_record() -> ExportResult:
        # Chosen inside the export lane's transaction: two exports to one target at
        # once on a lake must not both send the same items (warehouse.lanes).
        forget_written()
        chosen = build_items(con, target, escalated=escalated)
        if not chosen:
            return ExportResult(target, fmt, None, 0, None, None, False)
        items = [item for item, _, _ in chosen]
        meta = _meta(con, target, items, escalated)
        batch_id = hashlib.sha256(_canon({"meta": meta, "items": items})).hexdigest()[:32]
        for item in items:
            item["batch_id"] = batch_id
        data_path, manifest_path, _ = _write(out_dir, fmt, meta, batch_id, items)
        written.extend([Path(data_path), Path(manifest_path)])
        _record_batch(con, run_id, batch_id, meta, chosen)
        _record_file(con, run_id, batch_id, target, fmt, data_path, manifest_path, len(items))
        return ExportResult(target, fmt, batch_id, len(items), data_path, manifest_path, False)

    try:
        return serialized(con, "export", "recording the export batch", choose_write_record)
    except BaseException:
        forget_written()
        raise


def export(
    db: str | Path,
    *,
    target: str | None,
    fmt: str = "csv",
    out_dir: str | Path = "exports",
    escalated: bool = False,
    batch: str | None = None,
) -> ExportResult:
    """`torrentwatch export`: write what ``target`` has not received yet (confirmed
    items; with ``escalated`` also escalated ones) as one batch in ``fmt`` under
    ``out_dir``, with its manifest. With ``batch``, write that earlier batch again."""
    _check(target, fmt)
    if batch is None and target is None:
        raise ExportInvalid("--target is required (the name of the hotline or recipient)")
    con = open_warehouse(db)
    try:
        with recorded_run(con, "export") as run:
            if batch is not None:
                result = _rerun(con, run.run_id, batch, target, fmt, Path(out_dir))
            else:
                result = _new_batch(con, run.run_id, target, fmt, Path(out_dir), escalated)
            run.items_read = result.items
            run.detail = {
                "target": result.target,
                "format": fmt,
                "batch_id": result.batch_id,
                "items": result.items,
                "rerun": result.rerun,
            }
        return result
    finally:
        con.close()


# --- verify -----------------------------------------------------------------------


def _load_manifest(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise ManifestInvalid(f"cannot read manifest {path}: {exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ManifestInvalid(f"manifest {path} is not UTF-8 JSON: {exc}") from exc
    if not isinstance(manifest, dict):
        raise ManifestInvalid(f"manifest {path} is not a JSON object")
    missing = [
        k for k in ("batch_id", "format", "files", "rows", "schema_version") if k not in manifest
    ]
    if (
        missing
        or not isinstance(manifest.get("files"), list)
        or manifest.get("format") not in FORMATS
    ):
        raise ManifestInvalid(
            f"manifest {path} lacks {missing or 'a files list or a known format'}"
        )
    return manifest


def _rows_of(path: Path, fmt: str) -> list[dict]:
    """The batch id and schema version of every row (raises ValueError when unreadable)."""
    if fmt == "parquet":
        try:
            table = pq.read_table(path, columns=["batch_id", "schema_version"])
        except (pa.ArrowException, OSError) as exc:
            raise ValueError(f"not a readable Parquet file: {exc}") from exc
        return table.to_pylist()
    text = path.read_bytes().decode("utf-8")
    if fmt == "jsonl":
        rows = [json.loads(line) for line in text.splitlines() if line]
        if not all(isinstance(r, dict) for r in rows):
            raise ValueError("a line is not a JSON object")
        return rows
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header != [name for name, _ in COLUMNS]:
        raise ValueError("the CSV header is not the export's columns")
    return [dict(zip(header, record, strict=False)) for record in reader]


def _is(entry: dict, key: str, kind: type) -> bool:
    value = entry.get(key)
    return isinstance(value, kind) and not isinstance(value, bool)


def _check_file(folder: Path, entry: object, manifest: dict) -> list[str]:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        return [f"files entry {entry!r} has no name"]
    name = entry["name"]
    if name in ("", ".", "..") or "/" in name or "\\" in name or "\x00" in name:
        return [f"{name!r}: not a plain file name beside the manifest"]
    wrong = [k for k, t in (("sha256", str), ("bytes", int), ("rows", int)) if not _is(entry, k, t)]
    if wrong:
        return [f"{name}: manifest entry has no valid {', '.join(wrong)}"]
    path = folder / name
    if not path.is_file():
        return [f"{name}: missing"]
    problems = []
    digest, size = sha256_file(path)
    if digest != entry.get("sha256"):
        problems.append(f"{name}: sha256 is {digest}, manifest says {entry.get('sha256')}")
    if size != entry.get("bytes"):
        problems.append(f"{name}: {size} bytes, manifest says {entry.get('bytes')}")
    try:
        rows = _rows_of(path, manifest["format"])
    except (ValueError, UnicodeDecodeError, csv.Error) as exc:
        return [*problems, f"{name}: cannot read rows: {exc}"]
    if len(rows) != entry.get("rows"):
        problems.append(f"{name}: {len(rows)} rows, manifest says {entry.get('rows')}")
    for key in ("batch_id", "schema_version"):
        wrong = sum(1 for r in rows if r.get(key) != manifest[key])
        if wrong:
            problems.append(f"{name}: {wrong} row(s) with a {key} other than {manifest[key]}")
    return problems


def export_verify(manifest_path: str | Path) -> VerifyReport:
    """`torrentwatch export verify`: recompute every file's SHA-256, size and rows and
    each row's batch id and schema version; report every mismatch (none: ok)."""
    path = Path(manifest_path)
    manifest = _load_manifest(path)
    problems: list[str] = []
    for entry in manifest["files"]:
        problems.extend(_check_file(path.parent, entry, manifest))
    counted = sum(
        e["rows"] for e in manifest["files"] if isinstance(e, dict) and _is(e, "rows", int)
    )
    if counted != manifest["rows"]:
        problems.append(f"manifest rows {manifest['rows']} != sum of its files' rows {counted}")
    return VerifyReport(path, len(manifest["files"]), tuple(problems))
