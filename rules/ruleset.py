"""Loading rule packs: shipped packs first, then the operator's, in the order given.

Layering: packs are read in order (the shipped ``rules/packs/*.yaml`` by file name,
then each path given: a file, or a folder's ``*.yaml``/``*.yml`` by file name, not
recursive). A rule whose id an earlier pack defined replaces it whole (the later,
higher layer wins); an entry ``{id: X, disabled: true}`` switches rule X off. Within
one pack an id may appear once. Every problem of every pack is collected, and
loading raises one ``RulesInvalid`` (code ``rules.invalid``) listing all of them.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pyarrow as pa

from common.errors import RulesInvalid, UnknownRule
from rules import pack_cache
from rules import values as v
from rules.compile import condition_sql, evidence_sql, score_sql
from rules.model import (
    ID_PATTERN,
    MAX_ID_CHARS,
    REQUIRED,
    RULE_KEYS,
    Rule,
    read_condition,
    read_header,
    read_tests,
)
from rules.source import (
    Document,
    FileRefused,
    Problem,
    parse_pack_bytes,
    read_regular,
    recording_reads,
)

PACKS_PACKAGE = "rules"
# Problems listed in the error's message (all of them stay in ``problems``): a pack of
# a million bad list items must not print a million lines.
SHOWN_PROBLEMS = 200
# A pack is a few hundred lines; a path to a device, a FIFO or a huge file is refused.
MAX_PACK_BYTES = 16 * 1024 * 1024
PACKS_DIR = "packs"


@dataclass(frozen=True, slots=True)
class Disable:
    """Switch rule ``id`` off; ``checked`` when it came from a full rule written with
    ``disabled: true`` (which needs no earlier definition)."""

    id: str
    where: str
    checked: bool = False


@dataclass(slots=True)
class RuleSet:
    """The rules in force, by id, in load order; ``disabled`` ids and ``packs`` read."""

    rules: dict[str, Rule] = field(default_factory=dict)
    disabled: dict[str, str] = field(default_factory=dict)
    overridden: dict[str, str] = field(default_factory=dict)
    packs: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # likely mistakes; loading goes on
    # Files the packs named and loading read (term lists): (path, SHA-256 of the bytes).
    reads: list[tuple[str, str]] = field(default_factory=list)


def shipped_packs() -> list[tuple[str, bytes]]:
    """(name, bytes) of every shipped pack, by file name."""
    folder = resources.files(PACKS_PACKAGE).joinpath(PACKS_DIR)
    found = sorted((p for p in folder.iterdir() if p.name.endswith(".yaml")), key=lambda p: p.name)
    return [(f"rules/packs/{p.name}", p.read_bytes()) for p in found]


def _operator_packs(paths: Iterable[str | os.PathLike[str]], problems: list[Problem]):
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files = sorted(
                (p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()),
                key=lambda p: p.name,
            )
        else:
            files = [path]
        for file in files:
            try:
                yield str(file), read_regular(file, MAX_PACK_BYTES)
            except FileRefused as exc:
                code = f"rules.pack_{exc.what}"
                problems.append(Problem(code, str(file), 1, 1, None, "", f"the pack {exc}"))
            except OSError as exc:
                problems.append(
                    Problem("rules.unreadable", str(file), 1, 1, None, "", f"cannot read: {exc}")
                )


def read_pack(doc: Document) -> list[Rule | Disable]:
    """The entries of one parsed pack; problems are added to ``doc.problems``."""
    ctx = v.Ctx(doc)
    top = v.mapping(ctx, doc.data, (), ("rules",), ("rules",))
    if top is None or "rules" not in top:
        return []
    items = v.listing(ctx, top["rules"], ("rules",), non_empty=False) or []
    out: list[Rule | Disable] = []
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        entry = read_entry(v.Ctx(doc), item, ("rules", i))
        if entry is None:
            continue
        if entry.id in first:
            doc.add(
                "rules.duplicate_id",
                ("rules", i, "id"),
                f"id {v.shown(entry.id)} is already used by rules[{first[entry.id]}] of this pack",
                entry.id,
            )
            continue
        first[entry.id] = i
        out.append(entry)
    return out


def read_entry(ctx: v.Ctx, item: object, path: tuple) -> Rule | Disable | None:
    """One rule, or a disabling entry ``{id, disabled: true}``."""
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        ctx.rule_id = item["id"]
    if isinstance(item, dict) and item.get("disabled") is True and set(item) <= {"id", "disabled"}:
        rule_id = v.text(ctx, item.get("id"), (*path, "id"), MAX_ID_CHARS, ID_PATTERN)
        return None if rule_id is None else Disable(rule_id, ctx.doc.where(path))
    body = v.mapping(ctx, item, path, RULE_KEYS, REQUIRED)
    if body is None:
        return None
    rule_id = (
        v.text(ctx, body["id"], (*path, "id"), MAX_ID_CHARS, ID_PATTERN) if "id" in body else None
    )
    header = read_header(ctx, body, path)
    when = read_condition(ctx, body["when"], (*path, "when")) if "when" in body else None
    tests = read_tests(ctx, body["tests"], (*path, "tests")) if "tests" in body else None
    if "disabled" in body and v.boolean(ctx, body["disabled"], (*path, "disabled")) is None:
        return None
    if rule_id is None or header is None or when is None or tests is None:
        return None
    try:
        sql = condition_sql(when)
    except Exception as exc:  # a predicate that cannot compile must fail loading
        ctx.error("rules.compile", (*path, "when"), f"cannot compile to SQL: {exc}")
        return None
    rule = Rule(
        id=rule_id,
        **header,
        when=when,
        flag_tests=tests[0],
        pass_tests=tests[1],
        where=ctx.doc.where(path),
        sql=sql,
        background=tests[2],
    )
    return Disable(rule_id, rule.where, checked=True) if body.get("disabled") else rule


def _apply(ruleset: RuleSet, doc: Document, entries: list[Rule | Disable]) -> None:
    for entry in entries:
        if isinstance(entry, Disable):
            known = entry.id in ruleset.rules or entry.id in ruleset.disabled
            if not known and not entry.checked:
                line, col = (int(x) for x in entry.where.rsplit(":", 2)[1:])
                doc.problems.append(
                    Problem(
                        "rules.unknown_rule",
                        doc.name,
                        line,
                        col,
                        entry.id,
                        "",
                        f"disables {v.shown(entry.id)}, which no earlier pack defines",
                    )
                )
                continue
            ruleset.rules.pop(entry.id, None)
            ruleset.disabled[entry.id] = entry.where
            continue
        if entry.id in ruleset.rules or entry.id in ruleset.disabled:
            ruleset.overridden[entry.id] = entry.where
            ruleset.rules.pop(entry.id, None)
            ruleset.disabled.pop(entry.id, None)
        ruleset.rules[entry.id] = entry


def load_packs(paths: Iterable[str | os.PathLike[str]] = (), *, shipped: bool = True) -> RuleSet:
    """The shipped packs (unless ``shipped=False``) then ``paths``, layered; raises
    ``RulesInvalid`` listing every problem when any pack has one."""
    problems: list[Problem] = []
    sources = (shipped_packs() if shipped else []) + list(_operator_packs(paths, problems))
    entry = None if problems else pack_cache.key(sources, shipped)
    if entry is not None and (kept := pack_cache.get(entry)) is not None:
        return kept
    ruleset = RuleSet()
    with recording_reads() as reads:
        for name, data in sources:
            doc = parse_pack_bytes(data, name)
            if not doc.problems:
                entries = read_pack(doc)
                if not doc.problems:
                    _apply(ruleset, doc, entries)
            problems.extend(doc.problems)
            ruleset.warnings.extend(doc.warnings)
            ruleset.packs.append(name)
    ruleset.reads.extend(reads)
    if problems:
        listing = "\n  ".join(map(str, problems[:SHOWN_PROBLEMS]))
        if len(problems) > SHOWN_PROBLEMS:
            listing += f"\n  … and {len(problems) - SHOWN_PROBLEMS:,} more problem(s)"
        raise RulesInvalid(
            f"{len(problems)} problem(s) in rule packs:\n  {listing}", problems=tuple(problems)
        )
    if entry is not None:
        pack_cache.put(entry, ruleset)
    return ruleset


def fingerprint(rule: Rule) -> str:
    """SHA-256 of everything a flag run stores from ``rule``: its compiled condition,
    evidence and score SQL (id, version, level, title, every argument and, for fuzzy
    terms, the term list's key) and its status. Two rules with the same fingerprint
    raise the same flags with the same evidence on the same warehouse, so `rules diff`
    evaluates only the rules whose fingerprint changed."""
    text = "\n".join((rule.sql, evidence_sql(rule), score_sql(rule), rule.status))
    return hashlib.sha256(text.encode()).hexdigest()


def run_rules_table(rows: Iterable[tuple[str, int, str, str, str]]) -> pa.Table:
    """(rule_id, rule_version, level, status, fingerprint) rows as an Arrow table."""
    names = ("rule_id", "rule_version", "level", "status", "fingerprint")
    types = (pa.string(), pa.int32(), pa.string(), pa.string(), pa.string())
    columns = list(zip(*rows, strict=True)) or [()] * len(names)
    return pa.table(
        [pa.array(c, t) for c, t in zip(columns, types, strict=True)],
        names=list(names),
    )


def select_rules(ruleset: RuleSet, rule_ids: Iterable[str]) -> list[Rule]:
    """The rules of ``ruleset`` named by ``rule_ids`` (load order; all when none is
    named); an id no rule in force has is ``UnknownRule``, naming what is in force."""
    wanted = list(dict.fromkeys(rule_ids))
    if not wanted:
        return list(ruleset.rules.values())
    unknown = [i for i in wanted if i not in ruleset.rules]
    if unknown:
        known = ", ".join(ruleset.rules)
        raise UnknownRule(
            f"no rule in force has id {', '.join(map(v.shown, unknown))}; in force: {known}"
        )
    return [r for r in ruleset.rules.values() if r.id in wanted]


def rules_lint(paths: Iterable[str | os.PathLike[str]] = ()) -> RuleSet:
    """`torrentwatch rules lint`: load and compile every pack; raises on any problem."""
    return load_packs(paths)
