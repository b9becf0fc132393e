"""The JSON Schema of a rule pack, generated from the predicate registry.

``rules/rule-pack.schema.json`` is this output; a test fails when they differ, so
the schema editors validate against cannot drift from what the loader accepts.
Regenerate with ``python -m rules.schema > rules/rule-pack.schema.json``.
"""

from __future__ import annotations

import json

from rules import values as v
from rules.model import (
    ID_PATTERN,
    LEVELS,
    MAX_BACKGROUND_COUNT,
    MAX_BACKGROUND_ITEMS,
    MAX_ID_CHARS,
    MAX_TEST_FILES,
    REQUIRED,
    STATUSES,
    TEXT_CHARS,
)
from rules.registry import PREDICATES

SCHEMA_ID = "https://torrentwatch.invalid/rule-pack.schema.json"


# What each predicate argument means, by name (a predicate's own entry first): every
# key of the schema carries a description an editor shows on hover, and the scale of
# every number is named (shares 0-1, scores 0-100, sizes in bytes or with a unit).
ARG_WORDS: dict[str, str] = {
    "in": "One or more values; the predicate holds when the torrent's value is one of them.",
    "kinds": "File kinds (parsers/data/file_kinds.yaml), summed together.",
    "kind": "File kinds (parsers/data/file_kinds.yaml): the file is of one of them.",
    "ext": "File extensions, lower case without the dot (mkv, exe).",
    "name_token": "Whole tokens of the normalised file path; * matches any run of letters"
    " and digits.",
    "at_least": "Lower bound, inclusive.",
    "at_most": "Upper bound, inclusive.",
    "pattern": "An RE2 regular expression (no lookaround, no backreferences); unanchored"
    " unless written with ^ or $.",
    "case_sensitive": "Match case exactly (default false: case-insensitive).",
    "on": "What is searched: the torrent's name, its file paths, or any of both.",
    "form": "Which text: norm (normalised), raw (as written) or, for fuzzy terms, skeleton"
    " (leetspeak folded) or both.",
    "final": "The final extension: exec_or_shortcut (programs and shortcuts) or a list.",
    "shown": "Kinds of the extension shown before the final one (what a reader sees).",
    "list": "A hash list's name (torrentwatch hashlist import --name), or any.",
    "match": "What is looked up: infohash, pieces_root (v2 files) or any.",
    "terms": "A UTF-8 term file beside the pack, one term a line, # comments.",
    "scorer": "The rapidfuzz scorer.",
    "threshold": "Score on the 0-100 scale (90 is a close match; 0.9 is a unit mistake).",
    "bidi": "true: a bidirectional control character (U+202E and kin) is there; false: none.",
    "zero_width": "true: a zero-width character is there; false: none.",
    "control": "true: a control character is there; false: none.",
    "trailing_dot_space": "true: a name part ends in a dot or a space; false: none does.",
    "term_thresholds": "Terms of the term file (as written there) that need another score"
    " than threshold, each term: a score on the 0-100 scale.",
    "allow": "A term file of names known to be honest that sit near a term: a token that is"
    " one of them never counts as a hit.",
    "of": "Age counted from: created (the torrent's creation date) or first_seen.",
    "content_at_least": "Share (0-1) of the bytes the dominant kind must hold.",
    "min_support": "Other torrents with the same claim needed to judge by.",
    "claim": "The claim compared: category or platform.",
    "by": "The claim torrents are grouped by: category or platform.",
    "claims": "Only these claimed categories or platforms are judged (default: all).",
}
_SCALES = {
    "share": " A share on the 0-1 scale (0.6 is 60%).",
    "count": " A whole number of files.",
    "size": ' Bytes, or a number and a unit ("700MB", "1GiB"); a bare number counts bytes.',
}
SCALE_OF = {
    "bytes_share": "share",
    "count_share": "share",
    "count": "count",
    "file_count": "count",
    "seeders": "count",
    "total_size": "size",
    "largest_file": "size",
    "file_size": "size",
    "age": "days",
}
# YAML 1.1 (PyYAML, some editors) reads an unquoted ``on`` key as the boolean true,
# which a JSON Schema validator sees as the key "true"; the loader reads it back as
# "on" (``rules.predicates.bare_on``), so the schema accepts it too.
BARE_ON = "true"


def doc_words(cls: type) -> str:
    """The first paragraph of a class docstring, on one line."""
    text = (cls.__doc__ or "").strip().split("\n\n")[0]
    return " ".join(text.split())


def _describe_args(keyword: str, schema: dict) -> dict:
    """``schema`` of a predicate with a description on each argument (and ``on``'s
    YAML 1.1 spelling accepted)."""
    props = schema.get("properties")
    if not props:
        return schema
    out = {}
    for name, sub in props.items():
        words = ARG_WORDS.get(f"{keyword}.{name}") or ARG_WORDS.get(name, "")
        if name in ("at_least", "at_most"):
            scale = SCALE_OF.get(keyword)
            words += _SCALES.get(scale, " A whole number of days." if scale == "days" else "")
        out[name] = {**sub, "description": words.strip()}
    if "on" in out:
        out[BARE_ON] = {**out["on"], "description": "on, as YAML 1.1 reads it unquoted."}
    return {**schema, "properties": out}


def _predicate(keyword: str, cls: type) -> dict:
    schema = _describe_args(keyword, cls.json_schema())
    return {**schema, "description": f"{keyword}: {doc_words(cls)}"}


def _condition() -> dict:
    """One key: a group or a predicate. Each key's schema is checked alone (dispatch
    by key through ``properties``), so an editor points at the argument that is wrong
    instead of "not valid under any of the given schemas" for the whole rule."""
    ref = {"$ref": "#/$defs/condition"}
    group = {"type": "array", "minItems": 1, "items": ref}
    props = {
        "all": {**group, "description": "Every condition in the list holds."},
        "any": {**group, "description": "At least one condition in the list holds."},
        "not": {**ref, "description": "The condition does not hold (unknown counts as not)."},
        **{keyword: _predicate(keyword, cls) for keyword, cls in PREDICATES.items()},
    }
    return {
        "description": "A condition: exactly one key, a group (all, any, not) or a predicate.",
        "type": "object",
        "minProperties": 1,
        "maxProperties": 1,
        "properties": props,
        "additionalProperties": False,
    }


def _described(props: dict, words: dict[str, str]) -> dict:
    return {k: {**x, "description": words[k]} for k, x in props.items()}


TEST_WORDS = {
    "name": "The torrent's name, as a client shows it.",
    "files": 'The files: [path, size] pairs; sizes in bytes or with a unit ("700MB").',
    "on_lists": "Hash lists the test torrent's infohash is put on (for known_list rules).",
    "single_file": "The single-file layout: one file, named as the torrent.",
    "magnet": "Only a magnet link was seen: no files, no metadata (write no files).",
    "sightings": "Sources that saw the torrent, with the category they showed and seeders.",
    "count": "How many torrents of the test population this item stands for.",
}


def _test_torrent() -> dict:
    file = {
        "type": "array",
        "prefixItems": [{"type": "string", "minLength": 1}, {"$ref": "#/$defs/size"}],
        "minItems": 2,
        "maxItems": 2,
    }
    sighting = {
        "type": "object",
        "properties": _described(
            {
                "source": {"type": "string", "minLength": 1, "maxLength": 200},
                "category": {"type": "string", "minLength": 1, "maxLength": 500},
                "seeders": {"type": "integer", "minimum": 0, "maximum": v.MAX_COUNT},
            },
            {
                "source": "The source's name.",
                "category": "The category the source showed (source_category reads it).",
                "seeders": "Seeders the source reported (the seeders predicate reads it).",
            },
        ),
        "required": ["source"],
        "additionalProperties": False,
    }
    props = {
        "name": {"type": "string", "minLength": 1},
        "files": {"type": "array", "minItems": 1, "maxItems": MAX_TEST_FILES, "items": file},
        "on_lists": {"type": "array", "items": {"type": "string", "pattern": v.LIST_NAME_PATTERN}},
        "single_file": {"type": "boolean"},
        "magnet": {"type": "boolean"},
        "sightings": {"type": "array", "minItems": 1, "items": sighting},
    }
    return {
        "description": "A test torrent, built and ingested by `torrentwatch rules test`.",
        "type": "object",
        "properties": _described(props, TEST_WORDS),
        "required": ["name"],
        "additionalProperties": False,
        "if": {"properties": {"magnet": {"const": True}}, "required": ["magnet"]},
        "then": {"not": {"anyOf": [{"required": ["files"]}, {"required": ["single_file"]}]}},
        "else": {"required": ["files"]},
        # A single-file torrent has one file (named as the torrent: lint checks that).
        "dependentSchemas": {
            "single_file": {
                "if": {"properties": {"single_file": {"const": True}}},
                "then": {"properties": {"files": {"maxItems": 1}}},
            }
        },
    }


def _background() -> dict:
    """A background item: a test torrent's name and files, and its ``count``."""
    item = _test_torrent()
    props = {k: item["properties"][k] for k in ("name", "files")}
    props["count"] = {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_BACKGROUND_COUNT,
        "description": TEST_WORDS["count"],
    }
    return {
        "description": "A torrent of the test population (rare_for_claim), not itself a test.",
        "type": "object",
        "properties": props,
        "required": ["name", "files", "count"],
        "additionalProperties": False,
    }


RULE_WORDS = {
    "id": "Stable id (lower case, digits, . _ -); a later pack's rule of the same id replaces it.",
    "version": "Whole number >= 1; raise it when the rule changes (flags record it).",
    "title": "One line saying what the rule flags.",
    "description": "Why the rule exists, what it misses and what changed in each version.",
    "level": "Sigma level: informational, low, medium, high or critical.",
    "status": "stable (default): flags reach the review queue and exports; experimental:"
    " a shadow rule, evaluated and stored, kept out of both (rules shadow shows them).",
    "when": "The condition: all / any / not over predicates.",
    "tests": "Torrents the rule must flag and must pass (rules test), and a background.",
    "disabled": "true: switch the rule off (with only id: switch off an earlier pack's rule).",
}


def _rule() -> dict:
    tests = {"type": "array", "items": {"$ref": "#/$defs/test_torrent"}}
    background = {"type": "array", "maxItems": MAX_BACKGROUND_ITEMS, "items": _background()}
    props = {
        "id": {"type": "string", "pattern": ID_PATTERN, "maxLength": MAX_ID_CHARS},
        "version": {"type": "integer", "minimum": 1, "maximum": v.MAX_VERSION},
        "title": {"type": "string", "minLength": 1, "maxLength": TEXT_CHARS["title"]},
        "description": {
            "type": "string",
            "minLength": 1,
            "maxLength": TEXT_CHARS["description"],
        },
        "level": {"enum": list(LEVELS)},
        "status": {"enum": list(STATUSES)},
        "when": {"$ref": "#/$defs/condition"},
        "tests": {
            "type": "object",
            "properties": {
                "flag": {**tests, "description": "Torrents the rule must flag."},
                "pass": {**tests, "description": "Torrents the rule must not flag."},
                "background": {
                    **background,
                    "description": "The population rare_for_claim judges the tests against.",
                },
            },
            "additionalProperties": False,
            "anyOf": [{"required": ["flag"]}, {"required": ["pass"]}],
        },
        "disabled": {"type": "boolean"},
    }
    full = {"required": list(REQUIRED)}
    disable = {"required": ["id", "disabled"], "properties": {"disabled": {"const": True}}}
    # Dispatch with if/then: an entry of only id and disabled switches a rule off; any
    # other entry is a full rule, checked key by key (never "not valid under any of").
    only_id = {"propertyNames": {"enum": ["id", "disabled"]}, "required": ["disabled"]}
    return {
        "description": "A rule, or {id, disabled: true} switching an earlier pack's rule off.",
        "type": "object",
        "properties": _described(props, RULE_WORDS),
        "additionalProperties": False,
        "if": only_id,
        "then": disable,
        "else": full,
    }


def json_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a rule pack file."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "torrentwatch rule pack",
        "type": "object",
        "description": "A torrentwatch rule pack (docs/rules.md). Editors: see its"
        " 'Editor setup' section.",
        "properties": {
            "rules": {
                "type": "array",
                "items": {"$ref": "#/$defs/rule"},
                "description": "The pack's rules, in order; an id appears once per pack.",
            }
        },
        "required": ["rules"],
        "additionalProperties": False,
        "$defs": {
            "rule": _rule(),
            "condition": _condition(),
            "test_torrent": _test_torrent(),
            "size": {
                "description": 'Bytes, or a number and a unit ("700MB", "4.2GB", "1GiB").',
                "oneOf": [
                    {"type": "integer", "minimum": 0, "maximum": v.MAX_SIZE},
                    {"type": "string", "pattern": v.SIZE_PATTERN},
                ],
            },
        },
    }


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")
