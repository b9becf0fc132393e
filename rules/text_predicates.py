"""Text predicates: regular expressions (RE2, via DuckDB) and fuzzy term lists.

Both read names and paths as text rather than the parsed profile, and both need work
before their SQL can run (a pattern checked by RE2 at load time; term files read and
scored against the token vocabulary), so they live apart from the profile predicates.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from common.textcap import QUOTE_CAP, cap_text
from parsers.normalize import (
    display_safe,
    normalize_array,
    normalize_text,
    skeleton_array,
    skeleton_text,
)
from rules import values as v
from rules.predicates import (
    EVIDENCE_FILES,
    Predicate,
    _files_exist,
    _files_json,
    _object,
    bare_on,
    columns_words,
    files_words,
    lit,
)
from rules.source import FileRefused, KeyPath, read_regular


def _choices_ok(ctx: v.Ctx, body: dict, path: KeyPath, choices: dict[str, tuple[str, ...]]) -> bool:
    """Record a problem for each key whose value is not one of its choices."""
    ok = True
    for key, allowed in choices.items():
        if key in body and body[key] not in allowed:
            ctx.error(
                "rules.bad_value",
                (*path, key),
                f"{v.shown(body[key])}: {key} is one of {', '.join(allowed)}",
            )
            ok = False
    return ok


REGEX_ON = ("name", "paths", "any")
# Longest pattern: RE2 refuses far larger ones only when compiled ("pattern too large"),
# and a pattern is copied into the SQL and the evidence of every flag it raises.
MAX_PATTERN_CHARS = 10_000
REGEX_FORMS = ("raw", "norm")
_REGEX_COLUMNS = {
    ("name", "raw"): "t.name",
    ("name", "norm"): "t.name_norm",
    ("paths", "raw"): "f.path",
    ("paths", "norm"): "f.path_norm",
}


@functools.cache
def _re2() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that compiles patterns with RE2, as the flag
    run will (one per process, used only for checking)."""
    return duckdb.connect(":memory:")


def regex_error(pattern: str, options: str) -> str | None:
    """Why DuckDB (RE2) will not compile ``pattern`` embedded as a SQL literal, or
    ``None`` when it compiles."""
    if "\x00" in pattern:
        return "a pattern cannot hold a NUL character"
    try:
        _re2().execute(f"SELECT regexp_matches('', {lit(pattern)}, {lit(options)})").fetchall()
    except duckdb.Error as exc:
        return str(exc).removeprefix("Invalid Input Error: ")
    return None


@dataclass(frozen=True, slots=True)
class Regex(Predicate):
    """The name (``on: name``), a non-pad file path (``paths``) or either (``any``)
    matches the RE2 regular expression ``pattern`` (linear time: no backreferences,
    no lookarounds; unanchored unless written with ``^``/``$``), on the normalised
    (``norm``, the default) or the raw text; case-insensitive unless
    ``case_sensitive: true``. Every pattern is compiled by DuckDB when loaded."""

    keyword = "regex"
    pattern: str
    on: str = "name"
    form: str = "norm"
    case_sensitive: bool = False

    @classmethod
    def from_dict(cls, ctx, value, path):
        keys = ("pattern", "on", "form", "case_sensitive")
        value = bare_on(value)
        body = v.mapping(ctx, value, path, keys, ("pattern",))
        if body is None or "pattern" not in body:
            return None
        ok = _choices_ok(ctx, body, path, {"on": REGEX_ON, "form": REGEX_FORMS})
        case = body.get("case_sensitive", False)
        if "case_sensitive" in body and v.boolean(ctx, case, (*path, "case_sensitive")) is None:
            ok = False
        pattern = body["pattern"]
        if not isinstance(pattern, str) or not pattern:
            ctx.error(
                "rules.wrong_type",
                (*path, "pattern"),
                f"expected a non-empty string, got {v.shown(pattern)}",
            )
            return None
        if len(pattern) > MAX_PATTERN_CHARS:
            ctx.error(
                "rules.too_long",
                (*path, "pattern"),
                f"{v.shown(pattern)} has {len(pattern):,} characters;"
                f" a pattern has at most {MAX_PATTERN_CHARS:,}",
            )
            return None
        problem = regex_error(pattern, "c" if case is True else "i")
        if problem is not None:
            ctx.error(
                "rules.bad_regex",
                (*path, "pattern"),
                f"{v.shown(pattern)}: {cap_text(problem, QUOTE_CAP)}{v.regex_hint(pattern)}",
            )
            return None
        if not ok:
            return None
        return cls(pattern, body.get("on", "name"), body.get("form", "norm"), case)

    @classmethod
    def json_schema(cls):
        props = {
            "pattern": {"type": "string", "minLength": 1, "maxLength": MAX_PATTERN_CHARS},
            "on": {"enum": list(REGEX_ON)},
            "form": {"enum": list(REGEX_FORMS)},
            "case_sensitive": {"type": "boolean"},
        }
        return _object(props, ("pattern",))

    def _args(self) -> str:
        return f"{lit(self.pattern)}, {lit('c' if self.case_sensitive else 'i')}"

    def _matches(self, where: str) -> str:
        found = f"regexp_matches({_REGEX_COLUMNS[(where, self.form)]}, {self._args()})"
        if self.form != "raw":
            return found
        # The name as the other name key writes it (``name``/``name.utf-8``, ``path``/
        # ``path.utf-8``) is a name another client shows: a pattern read raw must not
        # be stepped around by putting the text in the key libtorrent does not prefer.
        if where == "name":  # one other reading of the torrent's name (a BLOB)
            other = (
                f"(t.name_alt_raw IS NOT NULL AND"
                f" coalesce(regexp_matches(try(decode(t.name_alt_raw)), {self._args()}), false))"
            )
        else:  # the other readings of a file's path (a BLOB[])
            each = f"coalesce(regexp_matches(try(decode(x)), {self._args()}), false)"
            other = (  # the guard first: nearly every file has no other reading
                f"(f.path_alt_raw IS NOT NULL AND"
                f" coalesce(len(list_filter(f.path_alt_raw, x -> {each})) > 0, false))"
            )
        return f"({found} OR {other})"

    def sql(self):
        if self.on == "name":
            return self._matches("name")
        if self.on == "paths":
            return _files_exist(self._matches("paths"))
        return f"({self._matches('name')} OR {_files_exist(self._matches('paths'))})"

    def evidence_sql(self):
        column = _REGEX_COLUMNS[("name", self.form)]
        name = (
            f"json_object({lit(column.removeprefix('t.'))}, {column}, 'matched',"
            f" CASE WHEN {self._matches('name')} THEN regexp_extract({column},"
            f" {lit(self.pattern)}, 0, {lit('c' if self.case_sensitive else 'i')}) END)"
        )
        if self.on == "name":
            return name
        files = _files_json(self._matches("paths"))
        if self.on == "paths":
            return files
        return f"json_object('name', {name}, 'paths', {files})"

    @classmethod
    def describe(cls, args, values, context):
        if args.get("on") == "paths":
            return files_words(values, context)
        if args.get("on") == "any":  # the name's words, then the matching files'
            name = columns_words(values.get("name") or {})
            files = files_words(values.get("paths") or {}, context)
            return [f"{name[0]}; {files[0]}", *files[1:]]
        return columns_words(values)


FUZZY_ON = ("name", "paths", "any")
FUZZY_FORMS = ("norm", "skeleton", "both")
FUZZY_SCORERS = ("ratio", "partial_ratio", "token_set_ratio", "WRatio")
SHIPPED_PREFIX = "rules/packs/"


def pack_folder(doc_name: str) -> Path:
    """The folder a pack was read from (shipped packs live in the ``rules`` package)."""
    if doc_name.startswith(SHIPPED_PREFIX):
        return Path(str(resources.files("rules").joinpath("packs")))
    return Path(doc_name).parent


# What a term file may hold (docs/rules.md): read once per load, held in memory and
# scored against every distinct token of the warehouse by each `flag` run.
MAX_TERMS_BYTES = 64 * 1024 * 1024  # the file, checked while reading
MAX_TERM_LINE_CHARS = 1_000  # one line, comment included
MAX_TERMS = 1_000_000  # distinct terms
MAX_TERM_WORDS = 32  # tokens of one normalised term: the n-gram size it is matched as


@dataclass(frozen=True, slots=True)
class _LineProblem:
    code: str
    line: int
    col: int
    message: str


def _decode(raw: bytes) -> str | _LineProblem:
    """UTF-8 text (a leading byte-order mark dropped), or where it is not text: the
    first NUL byte (a binary file), or the first byte that is not UTF-8."""
    nul = raw.find(b"\x00")
    at, code, what = nul, "rules.terms_binary", "a NUL byte: this is a binary file, not text"
    if nul < 0:
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            at, code = exc.start, "rules.terms_encoding"
            what = f"byte 0x{raw[exc.start]:02x} is not UTF-8 ({exc.reason})"
    start = raw.rfind(b"\n", 0, at) + 1
    return _LineProblem(code, raw.count(b"\n", 0, at) + 1, at - start + 1, what)


def _first_line(lines: pa.Array, mask: pa.BooleanArray) -> tuple[int, int] | None:
    """(1-based line number of the first row where ``mask`` holds, how many hold)."""
    found = pc.indices_nonzero(pc.fill_null(mask, False))
    return None if len(found) == 0 else (found[0].as_py() + 1, len(found))


def _parse_terms(text: str) -> tuple[tuple[str, ...], list[_LineProblem]]:
    """The distinct terms in order of first appearance (one a line, ``#`` comments and
    blank lines skipped), column-wise in Arrow so a million lines take well under a
    second; problems: lines too long, terms of too many words (first line of each,
    with how many), and the line where the distinct terms pass ``MAX_TERMS``."""
    lines = pc.list_flatten(pc.split_pattern(pa.array([text]), "\n"))
    too_long = pc.greater(pc.utf8_length(lines), MAX_TERM_LINE_CHARS)
    cut = pc.list_element(pc.split_pattern(lines, "#", max_splits=1), 0)
    terms = pc.utf8_trim_whitespace(cut)
    norm = normalize_array(terms)
    words = pc.add(pc.count_substring(norm, " "), pc.cast(pc.not_equal(norm, ""), pa.int32()))
    wordy = pc.and_(pc.greater(words, MAX_TERM_WORDS), pc.invert(too_long))
    problems: list[_LineProblem] = []
    if first := _first_line(lines, too_long):
        message = (
            f"longer than {MAX_TERM_LINE_CHARS:,} characters"
            f" ({first[1]:,} such line(s); the first is shown)"
        )
        problems.append(_LineProblem("rules.terms_line_too_long", first[0], 1, message))
    if first := _first_line(lines, wordy):
        message = (
            f"a term of {words[first[0] - 1].as_py():,} words; a term has at most"
            f" {MAX_TERM_WORDS} ({first[1]:,} such line(s); the first is shown)"
        )
        problems.append(_LineProblem("rules.terms_too_many_words", first[0], 1, message))
    kept = pc.and_(pc.not_equal(terms, ""), pc.invert(pc.or_(too_long, wordy)))
    distinct = pc.unique(terms.filter(kept))
    if len(distinct) > MAX_TERMS:
        line = pc.index(terms, distinct[MAX_TERMS]).as_py() + 1
        message = f"more than {MAX_TERMS:,} distinct terms (the maximum)"
        problems.append(_LineProblem("rules.terms_too_many", line, 1, message))
    return tuple(distinct.to_pylist()), problems


def read_terms(ctx: v.Ctx, value: Any, path: KeyPath) -> tuple[str, ...] | None:
    """The terms of a UTF-8 term file (one a line, ``#`` comments, blanks skipped),
    relative to the pack's folder, read in linear time. A file that is missing,
    unreadable, not a regular file or too large is a problem at the ``terms`` key; one
    that is binary, not UTF-8, has a line too long, a term of too many words or too
    many terms is a problem at that line of the term file (``file:line:col``), naming
    the pack's key; one with no terms is a problem at the ``terms`` key."""
    name = v.string(ctx, value, path)
    if name is None:
        return None
    file = pack_folder(ctx.doc.name) / name
    shown = v.shown(str(file))
    try:
        raw = read_regular(file, MAX_TERMS_BYTES)
    except FileNotFoundError:
        ctx.error("rules.terms_missing", path, f"term file {shown} does not exist")
        return None
    except FileRefused as exc:
        ctx.error(f"rules.terms_{exc.what}", path, f"term file {shown} {exc}")
        return None
    except OSError as exc:
        ctx.error("rules.terms_unreadable", path, f"cannot read term file {shown}: {exc}")
        return None
    text = _decode(raw)
    problems = [text] if isinstance(text, _LineProblem) else []
    terms: tuple[str, ...] = ()
    if not problems:
        terms, problems = _parse_terms(text)
    for p in problems:
        named = f"term file of {ctx.doc.where(path)}: {p.message}"
        ctx.error_at(p.code, str(file), p.line, p.col, path, named)
    if problems:
        return None
    if not any(normalize_text(t) for t in terms):
        ctx.error("rules.terms_empty", path, f"term file {shown} has no terms")
        return None
    return terms


def _term_thresholds(
    ctx: v.Ctx, value: Any, terms: tuple[str, ...] | None, path: KeyPath
) -> tuple[tuple[str, float], ...] | None:
    """``term_thresholds``: a mapping of terms of the term file (as written there) to
    their own threshold (0-100, checked like ``threshold``); None after a problem."""
    if value is None:
        return ()
    where = (*path, "term_thresholds")
    if not isinstance(value, dict):
        ctx.error("rules.wrong_type", where, "term_thresholds: expected a mapping of term: score")
        return None
    known = set(terms or ())
    out: list[tuple[str, float]] = []
    ok = True
    for term, score in value.items():
        at = (*where, str(term))
        if not isinstance(term, str) or (terms is not None and term not in known):
            ctx.error(
                "rules.bad_value",
                at,
                f"{v.shown(term)} is not a term of the term file (write it as it is there)",
            )
            ok = False
            continue
        checked = v.threshold(ctx, score, at)
        if checked is None:
            ok = False
            continue
        out.append((term, checked))
    return tuple(sorted(out)) if ok else None


@dataclass(frozen=True, slots=True)
class FuzzyTerms(Predicate):
    """A token (or run of as many tokens as a multi-word term has) of the name
    (``on: name``), of a file path (``paths``) or of either (``any``) scores at least
    ``threshold`` (rapidfuzz ``scorer``) against a term of the file ``terms``, in the
    normalised form, the leetspeak-folded skeleton form, or ``both``. The scores are
    computed before the SQL runs (``rules.fuzzy.prepare``): ``fuzzy_hits`` holds the
    scored tokens, ``fuzzy_matches`` the torrents holding them, one row per (predicate,
    torrent, source, token, term), so the predicate is an equality lookup."""

    keyword = "fuzzy_terms"
    terms: str  # the file as written in the pack
    term_list: tuple[str, ...]
    on: str = "name"
    form: str = "both"
    scorer: str = "ratio"
    threshold: float = 90
    # A term's own threshold where it needs another than ``threshold`` (a short title
    # wants a stricter one), as (term as written in the file, threshold).
    term_thresholds: tuple[tuple[str, float], ...] = ()
    # Phrases that never count as a hit however close they score: names known to be
    # honest that sit near a term (a term file of its own, ``allow``).
    allow: str | None = None
    allow_list: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, ctx, value, path):
        keys = ("terms", "on", "form", "scorer", "threshold", "term_thresholds", "allow")
        value = bare_on(value)
        body = v.mapping(ctx, value, path, keys, ("terms",))
        if body is None or "terms" not in body:
            return None
        choices = {"on": FUZZY_ON, "form": FUZZY_FORMS, "scorer": FUZZY_SCORERS}
        ok = _choices_ok(ctx, body, path, choices)
        threshold = v.threshold(ctx, body.get("threshold", 90), (*path, "threshold"))
        if threshold is None:
            ok = False
        found = read_terms(ctx, body["terms"], (*path, "terms"))
        per_term = _term_thresholds(ctx, body.get("term_thresholds"), found, path)
        allowed: tuple[str, ...] = ()
        if "allow" in body:
            allowed = read_terms(ctx, body["allow"], (*path, "allow"))
            ok = ok and allowed is not None
        if found is None or per_term is None or not ok:
            return None
        return cls(
            body["terms"],
            found,
            body.get("on", "name"),
            body.get("form", "both"),
            body.get("scorer", "ratio"),
            threshold,
            per_term,
            body.get("allow"),
            allowed,
        )

    def threshold_of(self, term: str) -> float:
        """The score ``term`` (as written) needs: its own threshold, else ``threshold``."""
        return dict(self.term_thresholds).get(term, self.threshold)

    @property
    def lowest_threshold(self) -> float:
        """The lowest score any term needs: what scoring must keep before the per-term
        thresholds are applied."""
        return min([self.threshold, *(t for _, t in self.term_thresholds)])

    def allowed(self, form: str) -> frozenset[str]:
        """The allow-list folded in ``form``: a hit on one of these is no hit."""
        fold = normalize_text if form == "norm" else skeleton_text
        return frozenset(f for t in self.allow_list if (f := fold(t)))

    @classmethod
    def json_schema(cls):
        props = {
            "terms": {"type": "string", "minLength": 1},
            "on": {"enum": list(FUZZY_ON)},
            "form": {"enum": list(FUZZY_FORMS)},
            "scorer": {"enum": list(FUZZY_SCORERS)},
            "threshold": {"type": "number", "minimum": 0, "maximum": 100},
            "term_thresholds": {
                "type": "object",
                "additionalProperties": {"type": "number", "minimum": 0, "maximum": 100},
            },
            "allow": {"type": "string", "minLength": 1},
        }
        return _object(props, ("terms",))

    def args(self) -> dict:
        """The arguments shown in evidence (the term lists themselves left out; the
        per-term thresholds and allow-list only when the rule has them)."""
        shown = {
            "terms": self.terms,
            "term_count": len(self.term_list),
            "on": self.on,
            "form": self.form,
            "scorer": self.scorer,
            "threshold": self.threshold,
        }
        if self.term_thresholds:
            shown["term_thresholds"] = dict(self.term_thresholds)
        if self.allow is not None:
            shown |= {"allow": self.allow, "allow_count": len(self.allow_list)}
        return shown

    @property
    def key(self) -> str:
        """Stable id of what is scored: the same terms and settings, the same key."""
        parts: list = [self.term_list, self.on, self.form, self.scorer, self.threshold]
        if self.term_thresholds or self.allow_list:
            parts += [self.term_thresholds, self.allow_list]
        data = json.dumps(parts, sort_keys=True)
        return "fz" + hashlib.sha1(data.encode()).hexdigest()[:16]

    def forms(self) -> tuple[str, ...]:
        return ("norm", "skeleton") if self.form == "both" else (self.form,)

    def folded_terms(self, form: str) -> list[tuple[str, str]]:
        """(term as written, folded term) of every term non-empty in ``form``: folded
        as one Arrow array (a list of 1,000 terms: 12 ms one by one in Python, every run)."""
        fold = normalize_array if form == "norm" else skeleton_array
        folded = fold(pa.array(self.term_list, pa.string())).to_pylist()
        return [(t, f) for t, f in zip(self.term_list, folded, strict=True) if f]

    def _condition(self) -> str:
        return f"h.infohash = t.infohash AND h.predicate_key = {lit(self.key)}"

    def sql(self):
        return f"EXISTS (SELECT 1 FROM fuzzy_matches h WHERE {self._condition()})"

    def best_sql(self) -> str:
        """The best score (0-100) of the hits for ``t``, NULL when none."""
        return f"(SELECT max(h.score) FROM fuzzy_matches h WHERE {self._condition()})"

    def evidence_sql(self):
        item = "{'token': h.token, 'term': h.term, 'score': h.score, 'source': h.source}"
        return (
            "(SELECT json_object('matches', to_json(list_slice(list("
            f"{item} ORDER BY h.score DESC, h.token, h.term, h.source), 1, {EVIDENCE_FILES})),"
            " 'best_score', max(h.score))"
            f" FROM fuzzy_matches h WHERE {self._condition()})"
        )

    @classmethod
    def describe(cls, args, values, context):
        lines = [f"best score {values.get('best_score')} (of 100)"]
        for m in values.get("matches") or []:
            lines.append(
                f"{m['source']}: {display_safe(m['token'])!r} ~ {display_safe(m['term'])!r}"
                f" ({m['score']})"
            )
        return lines
