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


def _condition() -> dict:
    ref = {"$ref": "#/$defs/condition"}
    groups = [
        {"type": "object", "properties": {"all": {"type": "array", "minItems": 1, "items": ref}}},
        {"type": "object", "properties": {"any": {"type": "array", "minItems": 1, "items": ref}}},
        {"type": "object", "properties": {"not": ref}},
    ]
    preds = [
        {"type": "object", "properties": {keyword: cls.json_schema()}}
        for keyword, cls in PREDICATES.items()
    ]
    options = []
    for option in groups + preds:
        (key,) = option["properties"]
        options.append({**option, "required": [key], "additionalProperties": False})
    return {"oneOf": options}


def _test_torrent() -> dict:
    file = {
        "type": "array",
        "prefixItems": [{"type": "string", "minLength": 1}, {"$ref": "#/$defs/size"}],
        "minItems": 2,
        "maxItems": 2,
    }
    return {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "files": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_TEST_FILES,
                "items": file,
            },
            "on_lists": {
                "type": "array",
                "items": {"type": "string", "pattern": v.LIST_NAME_PATTERN},
            },
        },
        "required": ["name", "files"],
        "additionalProperties": False,
    }


def _background() -> dict:
    """A background item: a test torrent (without ``on_lists``) and its ``count``."""
    item = _test_torrent()
    props = {k: x for k, x in item["properties"].items() if k != "on_lists"}
    props["count"] = {"type": "integer", "minimum": 1, "maximum": MAX_BACKGROUND_COUNT}
    return {**item, "properties": props, "required": ["name", "files", "count"]}


def _rule() -> dict:
    tests = {"type": "array", "items": {"$ref": "#/$defs/test_torrent"}}
    background = {"type": "array", "maxItems": MAX_BACKGROUND_ITEMS, "items": _background()}
    full = {
        "type": "object",
        "properties": {
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
                "properties": {"flag": tests, "pass": tests, "background": background},
                "additionalProperties": False,
                "anyOf": [{"required": ["flag"]}, {"required": ["pass"]}],
            },
            "disabled": {"type": "boolean"},
        },
        "required": list(REQUIRED),
        "additionalProperties": False,
    }
    disable = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "pattern": ID_PATTERN, "maxLength": MAX_ID_CHARS},
            "disabled": {"const": True},
        },
        "required": ["id", "disabled"],
        "additionalProperties": False,
    }
    return {"oneOf": [full, disable]}


def json_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a rule pack file."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "torrentwatch rule pack",
        "type": "object",
        "properties": {"rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}}},
        "required": ["rules"],
        "additionalProperties": False,
        "$defs": {
            "rule": _rule(),
            "condition": _condition(),
            "test_torrent": _test_torrent(),
            "size": {
                "oneOf": [
                    {"type": "integer", "minimum": 0, "maximum": v.MAX_SIZE},
                    {"type": "string", "pattern": v.SIZE_PATTERN},
                ]
            },
        },
    }


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")
