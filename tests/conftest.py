"""Shared fixtures: a partnership in a real SQLite file, the CLI runner, the demo."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
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


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """Never touch the real working directory, clock or environment of the user."""
    monkeypatch.delenv("PARTNERSHIP_DB", raising=False)
    monkeypatch.delenv("PARTNERSHIP_LOAD_PLUGINS", raising=False)
    monkeypatch.setenv("PARTNERSHIP_ACTOR", "tester")
    monkeypatch.delenv("PARTNERSHIP_TODAY", raising=False)


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "partnership.db"


@pytest.fixture
def p(db_path):
    """An empty partnership in a real file."""
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
    """A fresh copy of the demo partnership (built once per test session)."""
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


@pytest.fixture
def published(demo_path, tmp_path):
    """The demo, published to public.db (with public.metadata.yml beside it)."""
    target = tmp_path / "site" / "public.db"
    target.parent.mkdir()
    with partnership.open(demo_path) as p:
        from partnership.reporting.publish import publish

        result = publish(p, target)
    return target, result
