"""The packages stand in layers and every import points down (or sideways within a
package): a module never imports from a layer above its own. Checked by walking every
import statement of every product module, the ones inside functions included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Bottom to top. A module belongs to the last (most specific) prefix it starts with.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("common",),
    ("parsers",),
    ("warehouse",),
    ("rules",),
    ("monitors",),
    ("torrentwatch",),
    (
        "torrentwatch.cli",
        "torrentwatch.__main__",
        "torrentwatch.dag_support",
        "torrentwatch.workbench",
        "dags",
    ),
)
PRODUCT = ("common", "parsers", "warehouse", "rules", "monitors", "torrentwatch", "dags")
OUTSIDE_PRODUCT = ("testkit", "tests", "bench")


def _layer(module: str) -> int:
    best, best_len = -1, -1
    for number, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and len(prefix) > best_len:
                best, best_len = number, len(prefix)
    return best


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # ``from pkg import module`` imports pkg.module: judge the module itself
            found.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names)
    return found


def _product_modules() -> list[Path]:
    return sorted(p for top in PRODUCT for p in (ROOT / top).rglob("*.py"))


def upward_imports(modules: list[tuple[Path, str]] | None = None) -> list[str]:
    """Every import in product code that reaches a higher layer or outside the product."""
    if modules is None:
        modules = [(path, _module_name(path)) for path in _product_modules()]
    problems = []
    for path, module in modules:
        own = _layer(module)
        for line, target in _imports(path, module):
            top = target.split(".")[0]
            where = (
                f"{path.name if not path.is_relative_to(ROOT) else path.relative_to(ROOT)}:{line}"
            )
            if top in OUTSIDE_PRODUCT:
                problems.append(f"{where}: {module} imports {target}, which is not product code")
            elif top in PRODUCT and _layer(target) > own:
                problems.append(
                    f"{where}: {module} (layer {own}) imports {target} (layer {_layer(target)})"
                )
    return problems


def test_every_import_points_down() -> None:
    assert upward_imports() == []


def test_every_product_module_has_a_layer() -> None:
    unplaced = [_module_name(p) for p in _product_modules() if _layer(_module_name(p)) < 0]
    assert unplaced == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from torrentwatch.ingest import ingest\n", True),  # parsers -> stage library
        ("import monitors.base\n", True),  # parsers -> monitors
        ("from common.errors import InputRejected\n", False),
        ("from testkit import labeled_corpus\n", True),
        ("def f():\n    from rules import model\n", True),  # inside a function too
    ],
)
def test_an_upward_import_is_caught(tmp_path: Path, source: str, expected: bool) -> None:
    """The checker itself: a module of ``parsers`` that imports upward is named."""
    probe = tmp_path / "probe.py"
    probe.write_text(source, encoding="utf-8")
    assert bool(upward_imports([(probe, "parsers.probe")])) is expected


def test_every_package_says_what_it_may_import() -> None:
    for top in ("common", "parsers", "warehouse", "rules", "monitors", "torrentwatch"):
        doc = ast.get_docstring(ast.parse((ROOT / top / "__init__.py").read_text()))
        assert doc and "May import" in doc, top
