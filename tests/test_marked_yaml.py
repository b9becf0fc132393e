"""The one marked-YAML reader: hostile or broken text becomes a coded problem at
``file:line:col`` in the caller's dialect, never a hang, a RecursionError or a crash;
and it is the only reader of YAML in the product."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest
import yaml

from common import marked_yaml
from common.marked_yaml import MAX_DEPTH, Dialect, Document, parse_bytes, parse_document
from monitors.config import SOURCES
from parsers.taxonomy import PARSER_DATA, DataFile, parse_yaml
from rules.source import RULES

ROOT = Path(__file__).resolve().parent.parent
PLAIN = Dialect("demo")
COMPOSERS = [yaml.SafeLoader] + ([yaml.CSafeLoader] if yaml.__with_libyaml__ else [])


@pytest.fixture(autouse=True, params=COMPOSERS, ids=lambda c: c.__name__)
def composer(request, monkeypatch):
    """Every test here runs with libyaml's loader and with the pure-Python one alone."""
    monkeypatch.setattr(marked_yaml, "_LIBYAML", request.param)
    return request.param


def _both(text: str) -> tuple[Document, Document]:
    docs = []
    for loader in (yaml.SafeLoader, yaml.CSafeLoader):
        marked_yaml._LIBYAML = loader
        docs.append(parse_document(text, "demo.yaml", PLAIN))
    return docs[0], docs[1]


def test_libyaml_is_there_so_the_fast_path_is_what_ships():
    assert yaml.__with_libyaml__, "PyYAML without libyaml: packs load several times slower"


@pytest.mark.parametrize(
    "path",
    sorted(
        p.relative_to(ROOT)
        for pattern in ("*.yaml", "*/**/*.yaml")
        for p in ROOT.glob(pattern)
        if not any(part.startswith(".") for part in p.relative_to(ROOT).parts)
    ),
    ids=str,
)
def test_both_composers_give_the_same_data_marks_and_problems(path):
    pure, fast = _both((ROOT / path).read_text(encoding="utf-8", errors="replace"))
    assert (fast.data, fast.marks, fast.problems) == (pure.data, pure.marks, pure.problems)


@pytest.mark.parametrize(
    "text",
    [
        'name: "Ünïcødé 日本語 🎮"\nnext: {a: [1, "é"], b: 2}\n',
        "\ufeffkey: value\n\tbad: tab\n",
        "a: 1\na: 2\nb: 0x1F\nc: 1e400\nd: 9" + "9" * 5000 + "\n",
        "list:\n- a\n-   b: 1\n    c: 'x'\n- [1, 2,\n   3]\n",
        "key: [unclosed\n",
        "a: b: c\n",
        "%YAML 1.1\n---\nx: !!binary aGVsbG8=\n...\n",
        "",
        "# only a comment\n",
    ],
)
def test_both_composers_agree_on_odd_and_broken_text(text):
    pure, fast = _both(text)
    assert (fast.data, fast.marks, fast.problems) == (pure.data, pure.marks, pure.problems)


def _only(doc: Document) -> tuple[str, int, int]:
    assert len(doc.problems) == 1, [str(p) for p in doc.problems]
    problem = doc.problems[0]
    assert problem.file == "demo.yaml"
    return problem.code, problem.line, problem.col


def test_values_keep_their_line_and_column():
    doc = parse_document("top:\n  list:\n    - a\n    - {deep: 2}\n", "demo.yaml", PLAIN)
    assert doc.problems == []
    assert doc.data == {"top": {"list": ["a", {"deep": 2}]}}
    assert doc.mark(("top", "list")) == (2, 3)
    assert doc.mark(("top", "list", 1, "deep")) == (4, 8)
    assert doc.where(("top", "list", 0)) == "demo.yaml:3:7"
    # A path with no mark of its own (a missing key) falls back to its nearest ancestor.
    assert doc.where(("top", "list", 1, "missing")) == "demo.yaml:4:7"
    assert doc.located(("top", "list", 1), "too deep") == "demo.yaml:4:7: top.list[1]: too deep"


def test_an_alias_is_refused_at_its_place_even_a_harmless_one():
    doc = parse_document("a: &x 1\nb: [1, *x]\n", "demo.yaml", PLAIN)
    assert _only(doc) == ("demo.yaml_alias", 2, 8)
    assert doc.problems[0].message == "YAML aliases (*x) are not allowed"
    assert doc.data is None


def test_an_alias_bomb_is_refused_at_once():
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    started = time.monotonic()
    doc = parse_document("\n".join(lines) + "\n", "demo.yaml", PLAIN)
    assert time.monotonic() - started < 2
    assert _only(doc) == ("demo.yaml_alias", 2, 10)


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        ("[" * 100_000 + "]" * 100_000, 1, MAX_DEPTH + 1),
        ("{a: " * 5_000 + "1" + "}" * 5_000, 1, 4 * MAX_DEPTH + 1),
        ("- " * 1_000 + "x", 1, 2 * MAX_DEPTH + 1),
        ("k:\n" + "".join(f"{' ' * (2 * i)}- \n" for i in range(1, 3000)), MAX_DEPTH + 1, None),
    ],
    ids=["flow-lists", "flow-maps", "block-lists", "block-lines"],
)
def test_deep_nesting_is_a_problem_at_the_level_past_the_limit(text, line, col):
    doc = parse_document(text, "demo.yaml", PLAIN)
    code, found_line, found_col = _only(doc)
    assert (code, found_line) == ("demo.too_deep", line)
    assert col is None or found_col == col
    assert doc.problems[0].message == f"nested more than {MAX_DEPTH} levels deep"


def test_nesting_up_to_the_limit_parses():
    doc = parse_document("[" * MAX_DEPTH + "1" + "]" * MAX_DEPTH, "demo.yaml", PLAIN)
    assert doc.problems == []


@pytest.mark.parametrize(
    ("data", "line", "col"),
    [
        (b"a: caf\xe9\n", 1, 7),
        (b"a: 1\nb: \xe2\x82\xac \xff\n", 2, 6),  # the euro sign is one column
        ("# UTF-16\nk: v\n".encode("utf-16"), 1, 1),
    ],
)
def test_bytes_that_are_not_utf8_are_a_problem_at_the_first_bad_byte(data, line, col):
    doc = parse_bytes(data, "demo.yaml", PLAIN)
    assert _only(doc) == ("demo.not_utf8", line, col)
    assert doc.problems[0].message.startswith("not UTF-8 text (")


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        ("sources:\n  - name: a\n   kind: folder\n", 3, 4),
        ("sources: [\n", 2, 1),
        ("sources:\n\t- name: a\n", 2, 1),
        ('k: "unterminated\n', 2, 1),
        ("k: !!python/object:os.system x\n", 1, 4),  # the safe loader builds no objects
    ],
)
def test_invalid_yaml_names_where_the_parser_stopped(text, line, col):
    doc = parse_document(text, "demo.yaml", PLAIN)
    assert _only(doc) == ("demo.yaml_syntax", line, col)
    assert doc.problems[0].message.startswith("not valid YAML: ")


def test_duplicate_keys_and_unreadable_numbers_are_problems_at_their_key():
    doc = parse_document(f"a: 1\nb:\n  c: 2\n  c: 3\nd: {'9' * 5000}\n", "demo.yaml", PLAIN)
    found = [(p.code, p.line, p.col, p.path) for p in doc.problems]
    assert found == [
        ("demo.duplicate_key", 4, 3, "b.c"),
        ("demo.out_of_range", 5, 1, "d"),
    ]
    assert doc.data == {"a": 1, "b": {"c": 2}, "d": None}
    doc.add("demo.other", ("d",), "a second problem for an unreadable value")
    assert len(doc.problems) == 2  # not reported twice


def test_each_kind_of_file_names_the_problems_in_its_own_dialect():
    text = "a: &x 1\nb: *x\n"
    codes = {
        dialect.prefix: parse_document(text, "demo.yaml", dialect).problems[0]
        for dialect in (RULES, SOURCES, PARSER_DATA)
    }
    assert {prefix: p.code for prefix, p in codes.items()} == {
        "rules": "rules.yaml_alias",
        "sources": "sources.yaml_alias",
        "parser_data": "parser_data.yaml_alias",
    }
    assert codes["sources"].message == "YAML aliases (*name) are not allowed in a sources config"
    deep = parse_document("[" * 100 + "]" * 100, "demo.yaml", SOURCES).problems[0]
    assert deep.message == f"the sources config nests more than {MAX_DEPTH} levels deep"


def test_str_of_a_problem_is_one_line_with_place_path_and_code():
    doc = parse_document("k:\n  k: 1\n  k: 2\n", "demo.yaml", PLAIN)
    problem = doc.problems[0]
    assert str(problem) == "demo.yaml:3:3: k.k: duplicate key 'k' [demo.duplicate_key]"
    assert problem.located() == "demo.yaml:3:3: k.k: duplicate key 'k'"
    doc.add("demo.x", ("k",), "m" * 10_000, rule_id="r1")
    assert len(str(doc.problems[-1])) < 700  # messages are capped
    assert str(doc.problems[-1]).startswith("demo.yaml:1:1: rule r1: k: mmm")


def test_taxonomy_data_is_read_by_the_same_reader():
    doc = parse_yaml("video: [mkv]\n", "kinds.yaml")
    assert isinstance(doc, DataFile) and isinstance(doc, Document)
    assert doc.problem(("video", 0), "bad") == "kinds.yaml:1:9: video[0]: bad"
    with pytest.raises(Exception, match=r"kinds\.yaml:2:4: <top>: YAML aliases"):
        parse_yaml("a: &x [mkv]\nb: *x\n", "kinds.yaml")


def test_no_other_product_module_reads_yaml():
    """One reader: every YAML file a person writes goes through common.marked_yaml."""
    readers = []
    for package in ("common", "parsers", "warehouse", "rules", "monitors", "torrentwatch"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module or ""]
                if any(name == "yaml" or name.startswith("yaml.") for name in names):
                    readers.append(str(path.relative_to(ROOT)))
    assert sorted(set(readers)) == ["common/marked_yaml.py"]
