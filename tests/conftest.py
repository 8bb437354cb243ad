"""Shared fixtures: a partnership in a real SQLite file, the CLI runner, the demo."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

import partnership
from partnership.cli import cli

# entry-point plugins are not loaded under tests (see partnership.plugins)
sys._called_from_test = True  # type: ignore[attr-defined]

# Property tests draw the same examples on every run, so a run (and CI) is repeatable; set
# PARTNERSHIP_HYPOTHESIS=explore to draw new random examples each run (docs/testing.md).
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("PARTNERSHIP_HYPOTHESIS", "repeatable"))

#: The test files that take longest (CPU seconds measured on 2 cores, issue 19), the one
#: with the longest single test first. They run before every other file, so that
#: pytest-xdist's workers (``--dist worksteal``: pyproject.toml) never end the run with
#: one of them still going while the other worker has nothing left to do. Any other file
#: follows, those with more ``slow`` tests first; a file's tests stay together and in order
#: (its module fixtures are built once).
LONGEST_FIRST = (
    "test_scale.py", "test_inbox_browser.py", "test_browser.py", "test_readme_tour.py",
    "test_plugin_template.py", "test_rel_faults.py", "test_boardpack.py", "test_inbox_site.py",
    "test_spreadsheets.py", "test_site_security.py", "test_rel_hostile.py", "test_hostile.py",
    "test_publish.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first (see :data:`LONGEST_FIRST`); the same order in every worker."""
    files: dict[Path, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.path, []).append(item)

    def weight(path: Path) -> tuple[int, int]:
        if path.name in LONGEST_FIRST:
            return (0, LONGEST_FIRST.index(path.name))
        return (1, -sum(1 for item in files[path] if item.get_closest_marker("slow")))

    items[:] = [item for path in sorted(files, key=weight) for item in files[path]]


def isolate(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment every test runs in (and every template a test copies is built in)."""
    monkeypatch.delenv("PARTNERSHIP_DB", raising=False)
    monkeypatch.delenv("PARTNERSHIP_LOAD_PLUGINS", raising=False)
    monkeypatch.setenv("PARTNERSHIP_ACTOR", "tester")
    monkeypatch.delenv("PARTNERSHIP_TODAY", raising=False)
    # tables are fitted to the terminal: the same width wherever the tests run (a narrow
    # terminal, pytest-xdist's workers, CI); the tests of narrow output set their own
    monkeypatch.setenv("COLUMNS", "120")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """Never touch the real working directory, clock or environment of the user."""
    isolate(monkeypatch)


@contextlib.contextmanager
def _isolated_environment() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp)
        yield


@pytest.fixture(scope="session")
def isolated_environment():
    """``with isolated_environment(): ...`` builds a session or module template in the
    environment ``_isolated`` gives a test (such fixtures run before it does)."""
    return _isolated_environment


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "partnership.db"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """A database file with every built-in migration applied and no partnership in it yet.

    Migrating a new file takes about 0.2 s; copying this one takes milliseconds. Copy it
    to a path (``shutil.copyfile``) and ``partnership.create`` there does everything else
    it does on a new file (the partnership row, the change log), with nothing pending.
    Migrations themselves stay tested: by building this, by ``init`` and ``demo`` through
    the CLI, and by the upgrade fixtures.
    """
    from partnership.store import Store

    path = tmp_path_factory.mktemp("migrated") / "migrated.db"
    Store.open(path, create=True).close()
    assert not Path(f"{path}-wal").exists(), "the template must be whole in its main file"
    return path


@pytest.fixture
def p(db_path, migrated_template):
    """An empty partnership in a real file (its schema copied from ``migrated_template``)."""
    shutil.copyfile(migrated_template, db_path)
    with partnership.create(db_path, name="Test Partnership", governance="alliance") as opened:
        yield opened


@pytest.fixture
def small(p):
    """Two partners, a person, one outcome with two stakes and a contribution."""
    p.partners.add(slug="lancs-police", name="Lancashire Constabulary", kind="police")
    p.partners.add(slug="lancs-council", name="Lancaster City Council", kind="council")
    p.people.add(slug="jo-bloggs", name="Jo Bloggs", partner="lancs-police",
                 email="jo@example.org", phone="01524 000000")
    p.outcomes.add(slug="fewer-repeat-asb", title="Fewer residents suffer repeated anti-social behaviour",
                   beneficiaries="Residents of the district")
    p.stakes.add(outcome="fewer-repeat-asb", partner="lancs-police", motivation="Officer time")
    p.stakes.add(outcome="fewer-repeat-asb", partner="lancs-council", motivation="Residents' survey")
    p.contributions.add(outcome="fewer-repeat-asb", partner="lancs-police", kind="people",
                        description="Two PCSOs", amount=2, unit="FTE", additional=True)
    return p


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory) -> Path:
    from partnership.demo import build

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build(path)
    return path


@pytest.fixture
def demo_path(_demo_template, tmp_path) -> Path:
    """A fresh copy of the demo partnership (built once per test session).

    The working file alone: the demo's inbox file (demo.inbox.db, with the submissions its
    story leaves pending) is not copied, so a test's inbox starts empty, and the inbox
    tests count on that (``p.inbox.pending() == []`` before anyone sends anything). The
    tests of the demo's own inbox build the demo themselves, on the dates they need."""
    path = tmp_path / "demo.db"
    shutil.copy(_demo_template, path)
    return path


class Invoker:
    """Runs the CLI against one database, like a user at a terminal would."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, db: bool = True):
        argv = (["--db", str(self.db)] if db else []) + [str(a) for a in args]
        return self.runner.invoke(cli, argv, input=input, catch_exceptions=False)


@pytest.fixture
def run(db_path) -> Invoker:
    """``run("partner", "add", ...)`` invokes the CLI on ``db_path``."""
    return Invoker(db_path)


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def unchanged():
    """``with unchanged(path): ...`` asserts the database file is byte-for-byte the same."""
    import contextlib

    @contextlib.contextmanager
    def check(path: Path):
        before = file_digest(path)
        yield
        assert file_digest(path) == before, f"{path} changed"

    return check


@pytest.fixture(scope="session")
def _published_template(_demo_template, tmp_path_factory):
    """The demo published once per session: the working file as publish left it (metrics
    refreshed) and what publish returned (the public file, its metadata beside it)."""
    folder = tmp_path_factory.mktemp("published")
    working = folder / "demo.db"
    shutil.copy(_demo_template, working)
    target = folder / "site" / "public.db"
    target.parent.mkdir()
    with _isolated_environment(), partnership.open(working) as p:
        from partnership.reporting.build import publish

        result = publish(p, target)
    assert not Path(f"{working}-wal").exists() and not Path(f"{target}-wal").exists()
    return working, result


@pytest.fixture
def published(demo_path, tmp_path, _published_template):
    """The demo, published to public.db (with public.metadata.yml beside it).

    As if ``publish`` had run on ``demo_path`` in this test: ``demo_path`` is the working
    file as the session's one publish left it, and the public file and its metadata are
    copies of what that publish wrote (publishing takes ~0.3 s; copying, milliseconds)."""
    import copy

    import attrs

    working, result = _published_template
    shutil.copy(working, demo_path)
    target = tmp_path / "site" / "public.db"
    target.parent.mkdir()
    shutil.copy(result.path, target)
    metadata = target.with_name(Path(result.metadata_path).name)
    shutil.copy(result.metadata_path, metadata)
    from partnership.reporting.build import inspect_path  # Datasette's row counts, beside them

    shutil.copy(inspect_path(result.path), inspect_path(target))
    return target, attrs.evolve(copy.deepcopy(result), path=str(target), metadata_path=str(metadata))
