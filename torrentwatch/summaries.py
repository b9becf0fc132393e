"""The one wording of each stage's summary, in words a person reads at a glance.

The CLI prints these lines and the Airflow tasks log them before returning their
summary as XCom, so an operator reading either sees the same sentence with the same
numbers. Each line says how its numbers add up (items read = what became of them).
Plain text, no markup: callers that render (rich) wrap it in ``Text``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from monitors.magnetico import sniff_format
from parsers.normalize import display_safe

if TYPE_CHECKING:
    from monitors.runner import GatherSummary
    from torrentwatch.export import ExportResult
    from torrentwatch.flag import FlagSummary
    from torrentwatch.hashlist import ImportSummary
    from torrentwatch.import_magnetico import MagneticoCounts
    from torrentwatch.monitor_load import LoadSummary


def by_reason(counts: Mapping[str, int]) -> str:
    """``bencode.invalid 2, input.empty 1``: counts by reason code, in code order."""
    return ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items()))


def gather_text(summary: GatherSummary) -> str:
    """One source's gather: what landed, what had landed before, or why it failed."""
    line = (
        f"source {summary.source} ({summary.kind}): {summary.status}, {summary.new} new "
        f"item(s) landed, {summary.seen} seen before, in {summary.seconds:.1f} s"
    )
    if summary.error:
        line += f"; error: {summary.error}"
    return line


def load_text(summary: LoadSummary) -> str:
    """A load: landed items read, and how the inputs in them split into sightings and rejects.

    One landed item (a magnet list, say) may hold many inputs; each input is either a
    sighting of a torrent or a reject, and a sighting is of a new torrent, of one whose
    metadata changed, or a repeat (already known unchanged, or sighted twice in this load).
    """
    repeats = summary.observations - summary.torrents_new - summary.torrents_updated
    line = (
        f"run {summary.run_id}: loaded {summary.loaded} of {summary.pending} landed items, "
        f"new {summary.torrents_new}, updated {summary.torrents_updated}, rejected "
        f"{summary.rejected_total}, left for the next load {summary.failed}; "
        f"the inputs in them: {summary.observations + summary.rejected_total} = "
        f"{summary.observations} sighting(s) ({summary.torrents_new} new torrent(s), "
        f"{summary.torrents_updated} updated, {max(repeats, 0)} repeat(s)) "
        f"+ {summary.rejected_total} rejected"
    )
    if summary.rejected:
        line += f" ({by_reason(summary.rejected)})"
    if summary.elsewhere:
        line += (
            f"; {summary.elsewhere} landed item(s) another loader committed first (their "
            "batch was left to it; the rest of it waits for the next load)"
        )
    return line


def flag_text(summary: FlagSummary) -> str:
    """A flag run: rules evaluated, matches, and what changed among the flags."""
    how = (
        f"incremental: {summary.evaluated} changed torrent(s)"
        if summary.mode == "incremental"
        else f"every torrent ({summary.reason})"
        if summary.reason
        else "every torrent"
    )
    return (
        f"run {summary.run_id}: {summary.rules} rules, {summary.matched} matches; "
        f"{summary.new} new, {summary.changed} changed, {summary.deactivated} no longer "
        f"matching; {summary.active} active flags; evaluated {how}"
    )


def hashlist_text(summary: ImportSummary) -> str:
    """A hash-list import: the version stored and what its lines became."""
    if summary.unchanged:
        return f"list {summary.name} unchanged: version {summary.version} stays the latest"
    kinds = ", ".join(f"{kind} {count}" for kind, count in summary.by_kind.items())
    return (
        f"list {summary.name} version {summary.version} ({summary.format}, "
        f"sha256 {summary.sha256[:16]}...): {summary.entries} entries ({kinds}), "
        f"{summary.duplicates} duplicates, {summary.rejected_lines} rejected lines"
    )


def provenance_text(provenance: dict) -> str:
    """Where a list-exchange file came from, in one line (its values are the issuer's
    words: made display-safe)."""
    window = provenance.get("time_window") or {}
    rules = ", ".join(f"{r} v{v}" for r, v in sorted(provenance.get("rule_versions", {}).items()))
    return display_safe(
        f"  from {provenance.get('issuer')} (list {provenance.get('list')}, batch "
        f"{provenance.get('batch')}): decisions {window.get('decisions_from')} to "
        f"{window.get('decisions_to')}; rules {rules or 'none'}"
    )


def export_text(result: ExportResult) -> str:
    """An export: the batch written for a target, or that nothing was new."""
    if result.batch_id is None:
        return f"nothing new for target {result.target}: no files written"
    again = " (written again)" if result.rerun else ""
    return f"batch {result.batch_id}{again}: {result.items} item(s) for {result.target}"


def magnetico_lines(path: Path, counts: MagneticoCounts) -> list[str]:
    """A magnetico import: what it loaded, and where an earlier import of the same file
    had stopped (the line of an export, the ``torrents.id`` of a database)."""
    # Only an import that found earlier progress read the file, so it can be sniffed.
    position = "line"
    if counts.earlier_through is not None and sniff_format(path) == "sqlite":
        position = "torrents.id"
    lines = []
    if counts.resumed:
        lines.append(f"{path}: resumed after {position} {counts.earlier_through}")
    rejected = f" ({by_reason(counts.rejected)})" if counts.rejected else ""
    lines.append(
        f"{path}: {counts.records} records, new {counts.torrents_new}, "
        f"updated {counts.torrents_updated}, files {counts.files}, "
        f"rejected {counts.rejected_total}{rejected}"
    )
    if counts.earlier_through is not None and not counts.resumed:
        lines.append(
            f"note: an earlier import of this file had committed through {position} "
            f"{counts.earlier_through}, so those records were sighted again; "
            "--resume continues after them instead."
        )
    return lines
