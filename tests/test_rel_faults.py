"""Reliability under load and faults: concurrent writers, SIGKILL, old files, the site.

The checks live in tests/reliability_checks.py; these tests run them at bounded sizes
and assert what must hold (bench/reliability.py runs the same checks at larger sizes
and prints their figures).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import reliability_checks as rel

import partnership
from partnership import schema

FIXTURES = Path(__file__).parent / "fixtures"


def show(name: str, figures: dict) -> None:
    """Print the check's line (visible with pytest -s), so a CI log carries the figures."""
    print("\n" + rel.line(name, figures))


@pytest.fixture(scope="module")
def rel_demo(tmp_path_factory) -> Path:
    """The demo as the checks build it (``partnership demo`` in a child, clock fixed), built
    once for this module; each check works on its own copy."""
    return rel.build_demo(tmp_path_factory.mktemp("rel-demo") / "demo.db")


# -- concurrent writers ---------------------------------------------------------------

@pytest.mark.slow
def test_concurrent_writers_lose_nothing_and_never_see_locked(tmp_path, rel_demo):
    figures = rel.concurrent_writers(tmp_path, processes=4, per_process=60, demo=rel_demo)
    show("writers", figures)
    assert figures["problems"] == []
    assert figures["ok"] == figures["writes"] == 240
    assert figures["locked"] == 0
    assert figures["log_entries"] == 240


@pytest.mark.slow
def test_concurrent_first_open_of_an_old_file_upgrades_it_once(tmp_path):
    """Four processes opening a schema-1 file at once: all succeed, migrated once."""
    db = tmp_path / "old.db"
    shutil.copy(FIXTURES / "schema-v1.db", db)
    exe = rel.partnership_exe()
    children = [subprocess.Popen([exe, "--db", str(db), "partner", "list", "--json"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=rel.env()) for _ in range(4)]
    results = [(c.wait(timeout=120), c.stderr.read()) for c in children]
    for child in children:
        child.stdout.close()
        child.stderr.close()
    assert [code for code, _ in results] == [0, 0, 0, 0], results
    conn = sqlite3.connect(db)
    names = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")]
    conn.close()
    assert names == schema.known_migrations()


# -- crash safety ------------------------------------------------------------------------

@pytest.mark.slow
def test_bulk_import_killed_at_random_points_leaves_all_or_nothing(tmp_path, rel_demo):
    figures = rel.crash_import(tmp_path, repetitions=5, rows=20000, seed=1, demo=rel_demo)
    show("crash-import", figures)
    assert figures["problems"] == []
    assert figures["survived"] == figures["repetitions"] == 5


@pytest.mark.slow
def test_publish_killed_at_random_points_leaves_the_old_or_the_new_file(tmp_path, rel_demo):
    figures = rel.crash_publish(tmp_path, repetitions=4, seed=2, demo=rel_demo)
    show("crash-publish", figures)
    assert figures["problems"] == []
    assert figures["survived"] == figures["repetitions"] == 4


def test_a_torn_public_file_would_be_caught(tmp_path, demo_path):
    """The crash check can fail: half a database is recognised as torn."""
    db = demo_path
    public = tmp_path / "public.db"
    with partnership.open(db) as p:
        from partnership.reporting.build import publish

        publish(p, public)
    data = public.read_bytes()
    public.write_bytes(data[: len(data) // 2])
    assert rel._public_state(public, "anything") == "torn"
    public.write_bytes(b"")
    assert rel._public_state(public, "anything") == "torn"


# -- upgrades -----------------------------------------------------------------------------

FIXTURE_FILES = sorted(FIXTURES.glob("schema-*.db"))


def test_there_is_a_fixture_for_the_first_and_the_current_schema():
    names = {f.name for f in FIXTURE_FILES}
    assert "schema-v1.db" in names
    current = len(schema.known_migrations())
    assert f"schema-v{current}.db" in names, (
        "add a fixture at the new schema version: python tests/fixtures/make_fixture.py "
        "(then keep every older one)")


@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=lambda f: f.name)
def test_every_old_file_opens_migrates_and_keeps_every_row(fixture, tmp_path, run):
    db = tmp_path / fixture.name
    shutil.copy(fixture, db)
    before = rel.row_counts(db)
    assert sum(before.values()) > 50, "a fixture should hold a realistic partnership"
    with partnership.open(db) as p:
        assert p.store.schema_version == len(schema.known_migrations())
        assert p.check() is not None
    after = rel.row_counts(db)
    for table, count in before.items():
        if table != "_sqlite_migrations":
            assert after[table] == count, f"{table}: {count} rows before, {after[table]} after"
    assert rel.integrity(db) == "ok"
    run.db = db
    for command in (["check"], ["status"], ["doctor"], ["export"], ["commitments"], ["gaps"]):
        r = run(*command)
        assert r.exit_code in (0, 1) and "Traceback" not in r.output, (command, r.output[-400:])
    assert run("doctor").exit_code == 0, run("doctor").output
    # the upgraded file takes writes of every step
    assert run("commit", "county-police", "Share the data", "--due", "2030-01-01").exit_code == 0
    assert run("update", "post", "county-police", "Upgraded", "--outcome", "fewer-repeat-asb",
               ).exit_code == 0
    assert fixture.read_bytes()[:16] == b"SQLite format 3\x00"  # the fixture itself untouched


@pytest.mark.slow
def test_upgrade_summary_covers_every_fixture(tmp_path):
    figures = rel.upgrade_fixtures(tmp_path)
    show("upgrades", figures)
    assert figures["problems"] == []
    assert figures["fixtures"] == len(FIXTURE_FILES)
    # the one line bench/reliability.py prints for the check
    summary = rel.line("upgrades", figures).splitlines()
    assert summary[0].startswith("ok   upgrades") and "fixtures upgraded" in summary[0]


# -- the public site under load --------------------------------------------------------

@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for memory")
def test_served_site_takes_a_burst_of_requests(tmp_path, rel_demo):
    figures = rel.site_load(tmp_path, requests=150, concurrency=8, endless=3, demo=rel_demo)
    show("site", figures)
    assert figures["problems"] == []
    assert figures["errors_5xx"] == 0
    assert figures["endless_status"] == [400]  # Datasette's "query took too long", not a 5xx
    assert figures["rss_after_mb"] > 0


def test_publish_clears_only_temp_files_whose_writer_is_gone(tmp_path):
    from partnership.reporting.build import _remove_abandoned

    target = tmp_path / "public.db"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    gone = tmp_path / f".public.db.{dead.pid}.abc.publishing"
    running = tmp_path / ".public.db.1.abc.publishing"  # pid 1 is always alive
    other = tmp_path / ".other.db.999999.abc.publishing"
    for f in (gone, running, other):
        f.write_bytes(b"half")
    _remove_abandoned(target)
    assert not gone.exists()
    assert running.exists() and other.exists()


@pytest.mark.slow
def test_backups_taken_while_four_writers_write_are_whole(tmp_path, rel_demo):
    db = rel.build_demo(tmp_path / "busy.db", rel_demo)
    start_at = time.time() + 1.5
    writers = [subprocess.Popen(
        [sys.executable, rel.__file__, "--writer", str(db), str(k), "45",
         repr(start_at)], env=rel.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for k in range(4)]
    exe = rel.partnership_exe()
    backups = []
    try:
        time.sleep(1.6)
        for i in range(4):
            target = tmp_path / f"backup-{i}.db"
            done = subprocess.run([exe, "--db", str(db), "backup", str(target)], env=rel.env(),
                                  capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            backups.append(target)
    finally:
        outputs = [w.communicate(timeout=120) for w in writers]
    assert all(w.returncode == 0 for w in writers), [o[1][-300:] for o in outputs]
    counts = []
    for target in backups:
        assert rel.integrity(target) == "ok"
        assert rel.scalar(target, "PRAGMA journal_mode") == "delete"
        counts.append(rel.scalar(target, "SELECT count(*) FROM changes"))
    assert counts == sorted(counts)  # each a consistent snapshot, later ones no smaller
    done = subprocess.run([exe, "--db", str(backups[-1]), "doctor"], env=rel.env(),
                          capture_output=True, text=True)
    assert "Traceback" not in done.stderr and "integrity" in done.stdout

