"""List exchange between hotlines: the confirmed torrents as a list another torrentwatch
imports with `hashlist import` (parsers/exchange.py has the format).

A file is a snapshot, not an increment: every torrent confirmed now (decided inside the
window, when one is given), because the receiver stores each file as the next version
of a list and matches against its latest version. It carries hashes and rule ids only
(no names, paths or sightings), and its provenance: issuer, batch (the first 32 hex
digits of the SHA-256 of the entries, so the same list gives the same batch), the time
window of decisions and sightings, the rule versions the decisions were made on, the
versions of the hash lists in the issuing warehouse, and the selection. Every value
comes from the warehouse, none from the clock: the same state gives the same bytes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from common.errors import ExportInvalid
from parsers.exchange import exchange_bytes
from torrentwatch.export_files import write_atomic
from torrentwatch.export_items import NO_CONTENT_STATEMENT
from torrentwatch.indicators import as_date
from torrentwatch.query import open_read

ISSUER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

# The confirmed torrents, the rule ids of the decision that confirmed each, and times.
SELECT_SQL = """
SELECT t.infohash, t.infohash_v1, t.infohash_v2, s.latest_decided_at AS decided_at,
       t.first_seen, t.last_seen,
       list_sort(json_keys(r.flag_evidence)) AS rule_ids, r.flag_evidence::VARCHAR AS evidence
FROM review_status s
JOIN torrents t USING (infohash)
JOIN reviews r ON r.review_id = s.latest_review_id
WHERE s.confirmed
  AND ($since IS NULL OR s.latest_decided_at >= $since)
  AND ($until IS NULL OR s.latest_decided_at < $until)
ORDER BY t.infohash
"""
RULE_VERSIONS_SQL = """
SELECT rule_id, max(TRY_CAST(json_extract_string(evidence, '$."' || rule_id || '".version')
                             AS INTEGER)) AS version
FROM (SELECT unnest(rule_ids) AS rule_id, evidence FROM picked)
GROUP BY rule_id ORDER BY rule_id
"""


@dataclass(frozen=True, slots=True)
class ExchangeResult:
    path: Path
    entries: int  # hash rows (a hybrid torrent gives a v1 and a v2 row)
    torrents: int
    batch: str
    provenance: dict


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def exchange_export(
    db: str | Path,
    out: str | Path,
    *,
    issuer: str,
    list_name: str | None = None,
    since: date | str | None = None,
    until: date | str | None = None,
) -> ExchangeResult:
    """Write the confirmed torrents (decided from ``since`` through ``until``, when
    given) to ``out`` as a list-exchange file; reads the warehouse only."""
    for what, value in (("--issuer", issuer), ("--list", list_name or issuer)):
        if not ISSUER.match(value):
            raise ExportInvalid(
                f"{what} {value!r}: use 1-64 letters, digits, '.', '_' or '-', starting with "
                "a letter or digit"
            )
    first, last = as_date(since, "--since"), as_date(until, "--until")
    bounds = {
        "since": None if first is None else datetime(first.year, first.month, first.day),
        "until": None
        if last is None
        else datetime(last.year, last.month, last.day) + timedelta(days=1),
    }
    con = open_read(db)
    try:
        con.execute("SET TimeZone = 'UTC'")
        picked = con.execute(SELECT_SQL, bounds).to_arrow_table()
        con.register("picked", picked)
        rules = dict(con.execute(RULE_VERSIONS_SQL).fetchall())
        lists = dict(
            con.execute(
                "SELECT name, max(version) FROM hash_lists GROUP BY name ORDER BY name"
            ).fetchall()
        )
    finally:
        con.close()
    rows = _rows(picked.to_pylist())
    body = "".join(f"{h},{k},{label}\n" for h, k, label in rows).encode()
    torrents = picked.to_pylist()
    provenance = {
        "issuer": issuer,
        "list": list_name or issuer,
        "batch": hashlib.sha256(body).hexdigest()[:32],
        "selection": "confirmed",
        "time_window": {
            "since": None if first is None else first.isoformat(),
            "until": None if last is None else last.isoformat(),
            "decisions_from": _iso(min((t["decided_at"] for t in torrents), default=None)),
            "decisions_to": _iso(max((t["decided_at"] for t in torrents), default=None)),
            "seen_from": _iso(min((t["first_seen"] for t in torrents), default=None)),
            "seen_to": _iso(max((t["last_seen"] for t in torrents), default=None)),
        },
        "rule_versions": rules,
        "list_versions": lists,
        "no_content_downloaded": NO_CONTENT_STATEMENT,
    }
    path = Path(out)
    write_atomic(path, [exchange_bytes(provenance, rows)])
    return ExchangeResult(path, len(rows), len(torrents), provenance["batch"], provenance)


def _rows(torrents: list[dict]) -> list[tuple[str, str, str]]:
    """(hash, kind, label) per infohash of each torrent; the label is its rule ids."""
    rows = []
    for t in torrents:
        label = " ".join(t["rule_ids"] or [])
        if t["infohash_v1"]:
            rows.append((t["infohash_v1"], "infohash_v1", label))
        if t["infohash_v2"]:
            rows.append((t["infohash_v2"], "infohash_v2", label))
        if not t["infohash_v1"] and not t["infohash_v2"]:
            kind = "infohash_v1" if len(t["infohash"]) == 40 else "infohash_v2"
            rows.append((t["infohash"], kind, label))
    return rows
