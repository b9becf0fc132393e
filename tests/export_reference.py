"""The export as it was before issue 13 (row-wise Python), kept as the reference the
column-wise export must match byte for byte (tests/test_export_columnwise.py).

Copied from torrentwatch/export.py, export_items.py and export_files.py at 7e3301a,
trimmed to what writing a batch needs; not product code.
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
from urllib.parse import quote

import pyarrow as pa
import pyarrow.parquet as pq

from common.errors import ExportInvalid, ExportWriteFailed
from parsers.extensions import KINDS
from parsers.normalize import display_safe
from rules.model import LEVELS
from torrentwatch.export_files import sha256_file, write_atomic
from torrentwatch.render import neutralise
from torrentwatch.review import open_warehouse, rollback
from warehouse.runs import finish_run, start_run

SCHEMA_VERSION = "torrentwatch.export/1"

NO_CONTENT_STATEMENT = (
    "Metadata only: torrentwatch read this torrent's public metadata (name, file list, "
    "infohashes); no content of it was downloaded, stored or viewed."
)

# (column, kind): kind "json" is a nested value (JSON text in CSV and Parquet).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("schema_version", "str"),
    ("batch_id", "str"),
    ("target", "str"),
    ("infohash", "str"),
    ("infohash_v1", "str"),
    ("infohash_v2", "str"),
    ("magnet", "str"),
    ("name", "str"),
    ("name_raw_hex", "str"),
    ("name_norm", "str"),
    ("total_size", "int"),
    ("file_count", "int"),
    ("content_summary", "str"),
    ("content_profile", "json"),
    ("rule_ids", "json"),
    ("top_level", "str"),
    ("evidence", "json"),
    ("known_list_matches", "json"),
    ("first_seen", "str"),
    ("last_seen", "str"),
    ("sightings", "int"),
    ("sources", "json"),
    ("review_status", "str"),
    ("decided_at", "str"),
    ("reviews", "json"),
    ("no_content_downloaded", "str"),
)


def _ts(column: str) -> str:
    return f"strftime(timezone('UTC', {column}), '%Y-%m-%dT%H:%M:%S.%fZ')"


# Items the target has not received with this evidence. $escalated adds escalated ones.
CANDIDATES_SQL = """\
CREATE OR REPLACE TEMP TABLE export_candidates AS
SELECT s.infohash, r.review_id, r.seq, r.flag_evidence::VARCHAR AS flag_evidence,
       sha256(r.flag_evidence::VARCHAR) AS evidence_sha256,
       CASE WHEN s.confirmed THEN 'confirmed' ELSE 'escalated' END AS review_status
FROM review_status s JOIN reviews r ON r.review_id = s.latest_review_id
WHERE (s.confirmed OR ($escalated AND s.latest_decision = 'escalate'))
  AND NOT EXISTS (SELECT 1 FROM export_items e WHERE e.target = $target
                  AND e.infohash = s.infohash
                  AND e.evidence_sha256 = sha256(r.flag_evidence::VARCHAR)
                  AND e.review_status = CASE WHEN s.confirmed THEN 'confirmed'
                                             ELSE 'escalated' END)"""

_PROFILE = ", ".join(f"t.count_{k}, t.share_bytes_{k}" for k in KINDS)

ROWS_SQL = f"""\
SELECT c.infohash, c.review_id, c.evidence_sha256, c.review_status, c.flag_evidence,
       t.infohash_v1, t.infohash_v2, hex(t.name_raw) AS name_raw_hex, t.name_norm,
       coalesce(try(decode(t.name_raw)), t.name) AS name,
       t.total_size, t.file_count, t.claimed_platform, t.claimed_category, t.dominant_kind,
       {_PROFILE},
       (SELECT to_json(list({{'list_name': m.list_name, 'list_version': m.list_version,
                              'kind': m.kind, 'hash': m.hash, 'label': m.label,
                              'file_index': m.file_index, 'path': m.path}}
                             ORDER BY m.list_name, m.kind, m.hash, m.file_index))::VARCHAR
        FROM torrent_hash_list_matches m WHERE m.infohash = c.infohash) AS known,
       (SELECT {_ts("min(o.seen_at)")} FROM observations o WHERE o.infohash = c.infohash)
           AS first_seen,
       (SELECT {_ts("max(o.seen_at)")} FROM observations o WHERE o.infohash = c.infohash)
           AS last_seen,
       (SELECT count(*) FROM observations o WHERE o.infohash = c.infohash) AS sightings,
       (SELECT to_json(list(s ORDER BY s.source))::VARCHAR FROM (
            SELECT {{'source': o.source, 'sightings': count(*),
                     'first_seen': {_ts("min(o.seen_at)")},
                     'last_seen': {_ts("max(o.seen_at)")},
                     'urls': coalesce(list(DISTINCT o.source_ref ORDER BY o.source_ref)
                         FILTER (WHERE regexp_matches(o.source_ref, '^https?://')), [])[1:20]
                    }} AS s, o.source
            FROM observations o WHERE o.infohash = c.infohash GROUP BY o.source)) AS sources,
       (SELECT to_json(list({{'review_id': r.review_id, 'decision': r.decision,
                              'rationale': r.rationale, 'analyst': r.analyst,
                              'decided_at': {_ts("r.decided_at")}}} ORDER BY r.seq))::VARCHAR
        FROM torrent_reviews r WHERE r.infohash = c.infohash AND r.seq <= c.seq) AS reviews,
       (SELECT {_ts("r.decided_at")} FROM reviews r WHERE r.review_id = c.review_id)
           AS decided_at
FROM export_candidates c JOIN torrents t USING (infohash)
ORDER BY c.infohash"""


def safe(value: object) -> object:
    """``value`` with every string in it display-safe (bidi, controls shown as <U+...>)."""
    if isinstance(value, str):
        return display_safe(value)
    if isinstance(value, list):
        return [safe(v) for v in value]
    if isinstance(value, dict):
        return {k: safe(v) for k, v in value.items()}
    return value


def _values(values: object) -> object:
    """A fact's values without term lists: a fuzzy match's ``term`` is dropped (only
    the torrent's own token and the score stay), and files show their raw path."""
    if isinstance(values, list):
        return [_values(v) for v in values]
    if not isinstance(values, dict):
        return values
    out = {}
    for key, value in values.items():
        if key in ("term", "raw_path"):
            continue
        if key == "path" and values.get("raw_path"):
            value = values["raw_path"]
        out[key] = _values(value)
    return out


def evidence_out(flag_evidence: dict) -> list[dict]:
    """Per rule: id, version, level, title, the facts that made it fire (predicate and
    the torrent's values it read) and the matched files. Rule arguments (words,
    patterns, term files) are never exported."""
    rules = []
    for rule_id in sorted(flag_evidence):
        ev = flag_evidence[rule_id]
        facts, files = [], {}
        for fact in ev.get("facts") or []:
            if bool(fact.get("holds")) == bool(fact.get("negated")):
                continue
            values = _values(fact.get("values") or {})
            for item in (values.get("files") or []) if isinstance(values, dict) else []:
                files[item["file_index"]] = {"file_index": item["file_index"], "path": item["path"]}
            facts.append(
                {
                    "predicate": fact.get("predicate"),
                    "negated": fact.get("negated"),
                    "values": values,
                }
            )
        rules.append(
            {
                "rule_id": rule_id,
                "rule_version": ev.get("version"),
                "level": ev.get("level"),
                "title": ev.get("title"),
                "facts": facts,
                "matched_files": [files[i] for i in sorted(files)],
            }
        )
    return rules


def magnet(v1: str | None, v2: str | None, name: str | None, size: int | None) -> str:
    """A magnet link naming the torrent (hybrid: both hashes); no trackers, no peers."""
    parts = []
    if v1:
        parts.append(f"xt=urn:btih:{v1}")
    if v2:
        parts.append(f"xt=urn:btmh:1220{v2}")
    if name:
        parts.append(f"dn={quote(name, safe='')}")
    if size is not None:
        parts.append(f"xl={size}")
    return "magnet:?" + "&".join(parts)


def _profile(row: dict) -> tuple[str, dict]:
    kinds = {
        k: {"files": row[f"count_{k}"], "byte_share": round(row[f"share_bytes_{k}"] or 0.0, 4)}
        for k in KINDS
        if row[f"count_{k}"]
    }
    profile = {
        "claimed_platform": row["claimed_platform"],
        "claimed_category": row["claimed_category"],
        "dominant_kind": row["dominant_kind"],
        "kinds": kinds,
    }
    ordered = sorted(kinds.items(), key=lambda kv: (-kv[1]["byte_share"], kv[0]))
    shares = ", ".join(f"{k} {v['byte_share']:.0%} ({v['files']} files)" for k, v in ordered)
    claim = "/".join(x for x in (row["claimed_category"], row["claimed_platform"]) if x)
    summary = f"claims {claim or 'nothing'}; {row['file_count'] or 0} files: {shares or 'none'}"
    return summary, profile


def shape(row: dict, target: str) -> dict:
    """One warehouse row (ROWS_SQL) as an export item, in COLUMNS order, without batch id."""
    flag_evidence = json.loads(row["flag_evidence"])
    evidence = evidence_out(flag_evidence)
    summary, profile = _profile(row)
    levels = [e["level"] for e in evidence if e["level"] in LEVELS]
    item = {
        "schema_version": SCHEMA_VERSION,
        "batch_id": None,
        "target": target,
        "infohash": row["infohash"],
        "infohash_v1": row["infohash_v1"],
        "infohash_v2": row["infohash_v2"],
        "magnet": magnet(row["infohash_v1"], row["infohash_v2"], row["name"], row["total_size"]),
        "name": row["name"],
        "name_raw_hex": (row["name_raw_hex"] or "").lower() or None,
        "name_norm": row["name_norm"],
        "total_size": row["total_size"],
        "file_count": row["file_count"],
        "content_summary": summary,
        "content_profile": profile,
        "rule_ids": sorted(flag_evidence),
        "top_level": max(levels, key=LEVELS.index) if levels else None,
        "evidence": evidence,
        "known_list_matches": json.loads(row["known"]) if row["known"] else [],
        "first_seen": row["first_seen"],
        "last_seen": row["last_seen"],
        "sightings": row["sightings"],
        "sources": json.loads(row["sources"]) if row["sources"] else [],
        "review_status": row["review_status"],
        "decided_at": row["decided_at"],
        "reviews": json.loads(row["reviews"]) if row["reviews"] else [],
        "no_content_downloaded": NO_CONTENT_STATEMENT,
    }
    return safe(item)


def build_items(con, target: str, *, escalated: bool = False) -> list[tuple[dict, str, str]]:
    """(item, review_id, evidence_sha256) for every item ``target`` has yet to receive,
    ordered by infohash."""
    con.execute(CANDIDATES_SQL, {"target": target, "escalated": escalated})
    result = con.execute(ROWS_SQL)
    names = [d[0] for d in result.description]
    out = []
    for values in result.fetchall():
        row = dict(zip(names, values, strict=True))
        out.append((shape(row, target), row["review_id"], row["evidence_sha256"]))
    con.execute("DROP TABLE export_candidates")
    return out


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
    chosen = build_items(con, target, escalated=escalated)
    if not chosen:
        return ExportResult(target, fmt, None, 0, None, None, False)
    items = [item for item, _, _ in chosen]
    meta = _meta(con, target, items, escalated)
    batch_id = hashlib.sha256(_canon({"meta": meta, "items": items})).hexdigest()[:32]
    for item in items:
        item["batch_id"] = batch_id
    data_path, manifest_path, _ = _write(out_dir, fmt, meta, batch_id, items)
    con.execute("BEGIN TRANSACTION")
    try:
        _record_batch(con, run_id, batch_id, meta, chosen)
        _record_file(con, run_id, batch_id, target, fmt, data_path, manifest_path, len(items))
        con.execute("COMMIT")
    except BaseException:
        rollback(con)
        raise
    return ExportResult(target, fmt, batch_id, len(items), data_path, manifest_path, False)


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
        run_id = start_run(con, "export")
        try:
            if batch is not None:
                result = _rerun(con, run_id, batch, target, fmt, Path(out_dir))
            else:
                result = _new_batch(con, run_id, target, fmt, Path(out_dir), escalated)
        except BaseException as exc:
            finish_run(con, run_id, status="failed", detail={"error": str(exc)})
            raise
        finish_run(
            con,
            run_id,
            status="completed",
            items_read=result.items,
            detail={
                "target": result.target,
                "format": fmt,
                "batch_id": result.batch_id,
                "items": result.items,
                "rerun": result.rerun,
            },
        )
        return result
    finally:
        con.close()
