"""The list-exchange format: a hash list one hotline sends another, with its provenance.

The file is a hash-list CSV (``hash,kind,label``) whose first line is a comment holding
the provenance as one JSON object::

    #! torrentwatch.list-exchange/1 {"issuer": "hotline-a", "batch": "...", ...}
    hash,kind,label
    aaaa...,infohash_v1,disguise.console-release-media-payload

Any hash-list reader that skips ``#`` lines (an older torrentwatch among them) imports
the entries; one that knows the format also checks the provenance and that the body is
the one the provenance describes (``body_sha256``, ``entries``), so a truncated or
edited file is refused instead of becoming a shorter list version. Pure: bytes in,
bytes or a parsed header out.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from common.errors import ExchangeInvalid
from common.textcap import QUOTE_CAP, capped_repr

FORMAT_ID = "torrentwatch.list-exchange/1"
_MAGIC = b"#! torrentwatch.list-exchange/"
_PREFIX = f"#! {FORMAT_ID} "
# What the provenance must hold, and the JSON type of each.
REQUIRED = {
    "format": str,
    "issuer": str,
    "list": str,
    "batch": str,
    "time_window": dict,
    "rule_versions": dict,
    "list_versions": dict,
    "selection": str,
    "entries": int,
    "body_sha256": str,
}
MAX_HEADER_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ExchangeFile:
    """A checked exchange file: its provenance, and the CSV body the entries are in."""

    provenance: dict
    body: bytes


def is_exchange(data: bytes) -> bool:
    """True when the file says it is a list-exchange file (of any version)."""
    return data.lstrip(b"\xef\xbb\xbf").startswith(_MAGIC)


def exchange_bytes(provenance: dict, rows: list[tuple[str, str, str]]) -> bytes:
    """The file for ``rows`` of (hash, kind, label); ``provenance`` gets ``format``,
    ``entries`` and ``body_sha256`` filled in. Hashes are hex and labels rule ids, so
    no cell needs quoting."""
    body = "hash,kind,label\n" + "".join(f"{h},{k},{label}\n" for h, k, label in rows)
    raw = body.encode("utf-8")
    head = {
        **provenance,
        "format": FORMAT_ID,
        "entries": len(rows),
        "body_sha256": hashlib.sha256(raw).hexdigest(),
    }
    line = _PREFIX + json.dumps(head, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return line.encode("utf-8") + b"\n" + raw


def read_exchange(data: bytes, source_ref: str) -> ExchangeFile:
    """The provenance and body of an exchange file; raises ExchangeInvalid naming the
    file and what is wrong (an unknown version, bad JSON, a missing or mistyped key,
    a body that is not the one the provenance describes)."""
    data = data.lstrip(b"\xef\xbb\xbf")
    first, _, body = data.partition(b"\n")
    first = first.rstrip(b"\r")
    if len(first) > MAX_HEADER_BYTES:
        raise ExchangeInvalid(f"{source_ref}: the provenance line is over {MAX_HEADER_BYTES} bytes")
    prefix = _PREFIX.encode()
    if not first.startswith(prefix):
        shown = capped_repr(first[: len(prefix) + 8].decode("utf-8", "replace"), QUOTE_CAP)
        raise ExchangeInvalid(
            f"{source_ref}: {shown} is not a version this torrentwatch reads ({FORMAT_ID})"
        )
    try:
        head = json.loads(first[len(prefix) :])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExchangeInvalid(f"{source_ref}: the provenance is not JSON: {exc}") from None
    _check_keys(head, source_ref)
    digest = hashlib.sha256(body).hexdigest()
    if digest != head["body_sha256"]:
        raise ExchangeInvalid(
            f"{source_ref}: the entries are not the ones the provenance describes "
            f"(sha256 {digest[:16]}..., expected {str(head['body_sha256'])[:16]}...): "
            "the file was cut short or edited"
        )
    return ExchangeFile(head, body)


def _check_keys(head: object, source_ref: str) -> None:
    if not isinstance(head, dict):
        raise ExchangeInvalid(f"{source_ref}: the provenance must be a JSON object")
    for key, kind in REQUIRED.items():
        if key not in head:
            raise ExchangeInvalid(f"{source_ref}: the provenance has no {key!r}")
        value = head[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ExchangeInvalid(
                f"{source_ref}: provenance {key!r} must be a JSON {kind.__name__}, "
                f"not {capped_repr(value, QUOTE_CAP)}"
            )
