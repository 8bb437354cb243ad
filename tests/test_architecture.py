"""The shape of the house, kept by tests: one feature one folder, no import circles,
nothing registered at import, hooks documented and exercised, metadata generated."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import partnership
from partnership import hookspecs, schema
from partnership.features import BUILTIN_FEATURES
from partnership.plugins import default_registry

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "partnership"


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _top_level_imports(path: Path) -> set[str]:
    """The partnership modules ``path`` imports when it is imported (not inside functions
    or ``if TYPE_CHECKING:``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("partnership"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("partnership"):
                continue
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if _exists(candidate) else target)
    return found


def _exists(module: str) -> bool:
    path = SRC.parent / Path(*module.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def test_no_import_circles() -> None:
    graph = {_module_name(p): _top_level_imports(p) for p in SRC.rglob("*.py")}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str], seen: set[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt == node or nxt not in graph:
                continue
            if nxt in stack:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in seen:
                seen.add(nxt)
                visit(nxt, stack + [nxt], seen)

    for start in sorted(graph):
        visit(start, [start], {start})
    assert not cycles, f"import circles: {cycles[:3]}"


@pytest.mark.slow
def test_a_feature_module_can_be_imported_first() -> None:
    """Importing one feature's commands in a fresh process does not build the whole CLI
    (which would import that module again, half-done)."""
    for name in BUILTIN_FEATURES:
        module = f"{name}.cli" if _exists(f"{name}.cli") else name
        code = f"import {module}; import partnership.cli as c; c.cli; print('ok')"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert out.stdout.strip() == "ok", out.stderr


def test_nothing_is_registered_at_import() -> None:
    """Importing every module in a fresh process adds no model, view or rule anywhere:
    the only registrations are what the hooks return."""
    code = (
        "import pkgutil, importlib, partnership\n"
        "for m in pkgutil.walk_packages(partnership.__path__, 'partnership.'):\n"
        "    if 'datasette_plugins' not in m.name:\n"
        "        importlib.import_module(m.name)\n"
        "import partnership.models as models\n"
        "assert not hasattr(models, 'entities') and not hasattr(models, '_ENTITIES')\n"
        "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr


def test_each_feature_lives_in_one_folder() -> None:
    for name in BUILTIN_FEATURES:
        folder = SRC / name.split(".")[1]
        assert (folder / "__init__.py").exists(), name
        assert (folder / "public.py").exists(), f"{name} keeps its public tables and views in public.py"
    # the old hand-kept lists are gone
    for gone in ("builtin", "public.py", "datasette_plugins", "templates"):
        assert not (SRC / gone).exists(), gone


def test_migration_names_and_order_are_pinned() -> None:
    """These names are recorded in users' files: never rename or reorder them."""
    assert schema.BUILTIN_ORDER == (
        "m001_core", "m040_meetings", "m050_pairs", "m051_assess", "m052_governance_answers",
        "m020_measure", "m010_gaps", "m030_commitments", "m021_indicator_status_view",
        "m002_change_history", "m031_withdrawal_agreed", "m060_reminders", "m070_inbox",
        "m022_metric_last_good", "m003_partnership_currency", "m011_capacity_totals",
        "m012_gap_rows")
    assert default_registry().migration_sets[0].names == list(schema.BUILTIN_ORDER)


def test_every_hook_is_documented_and_exercised() -> None:
    hooks = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
             if name.startswith("register_")]
    assert len(hooks) >= 8
    doc = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    tests = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("test_*.py")
             if p.name != Path(__file__).name}
    for hook in hooks:
        params = ", ".join(inspect.signature(getattr(hookspecs, hook)).parameters)
        assert f"## {hook}({params})" in doc, f"docs/hooks.md does not document {hook}"
        assert any(f"def {hook}(" in text for text in tests.values()), f"no test implements {hook}"


def test_the_committed_metadata_is_what_the_code_generates(run) -> None:
    r = run("metadata", "--check", str(ROOT / "datasette-metadata.yml"), db=False)
    assert r.exit_code == 0, r.stderr + "\nregenerate it: partnership metadata > datasette-metadata.yml"


def test_every_public_table_view_and_column_is_described(published) -> None:
    import sqlite3

    target, _ = published
    meta = {d.name: d for d in default_registry().public}
    conn = sqlite3.connect(target)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'")]
        for name in names:
            if name == "site":
                continue
            item = meta[name]
            assert item.description, f"{name} has no description"
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info([{name}])")]
            missing = [c for c in columns if not item.columns.get(c)]
            assert not missing, f"{name}: columns without a description: {missing}"
    finally:
        conn.close()


@pytest.mark.slow
def test_a_published_file_served_in_a_fresh_process_links_every_view(published) -> None:
    """The home page's view links come from the file, not from what a process imported."""
    target, result = published
    code = (
        "import asyncio, sys\n"
        "from partnership.reporting.serve import make_datasette\n"
        "ds = make_datasette(sys.argv[1], sys.argv[2])\n"
        "print(asyncio.run(ds.client.get('/')).text)\n")
    out = subprocess.run([sys.executable, "-c", code, str(target), str(result.metadata_path)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    for view in ("indicator_status", "ledger", "gaps", "meeting_hours", "pair_uptake"):
        assert f"/public/{view}" in out.stdout, view


@pytest.mark.parametrize("module", ["partnership.api", "partnership.registry", "partnership.store"])
def test_the_library_does_not_import_click(module: str) -> None:
    code = f"import sys, {module}; print('click' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_public_data_and_hookimpl_are_exported() -> None:
    assert partnership.PublicData and partnership.PublicQuery and partnership.hookimpl


def test_a_view_in_both_files_has_one_definition(demo_path, published) -> None:
    """A view the working file and the public file both hold (indicator_status, gaps,
    the ledger ...) is built from one definition: the same columns in both."""
    import sqlite3

    target, _ = published

    def views(path: Path, kinds: str = "'view'") -> dict[str, list[str]]:
        conn = sqlite3.connect(path)
        try:
            names = [r[0] for r in conn.execute(
                f"SELECT name FROM sqlite_master WHERE type IN ({kinds})")]
            return {n: [c[1] for c in conn.execute(f"PRAGMA table_info([{n}])")] for n in names}
        finally:
            conn.close()

    # publish stores some views as tables (materialise=True): the same columns still
    working, public = views(demo_path), views(target, "'view', 'table'")
    shared = set(working) & set(public)
    assert {"indicator_status", "gaps", "ledger", "capacity_use"} <= shared
    for name in sorted(shared):
        assert working[name] == public[name], name
