"""Misbehaving plugins in the check and publish hooks (metric plugins: test_measure_plugins.py).

A plugin that raises, hangs, returns garbage or tries to write is reported by name;
the other checks and commands still work; the working database is unchanged.
"""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

import partnership
from plugin_files import plugin_dir
from partnership.reporting.publish import publish

FOREVER = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c"

BAD_CHECKS = dict(
    raises="""
        from partnership import hookimpl
        from partnership.checks import Check

        def run(view):
            raise RuntimeError("the spreadsheet moved")

        @hookimpl
        def register_checks(register):
            register(Check(name="boom", description="Raises.", run=run))
    """,
    garbage="""
        from partnership import hookimpl
        from partnership.checks import Check

        @hookimpl
        def register_checks(register):
            register(Check(name="garbage", description="Returns strings.",
                           run=lambda view: ["not a finding", 42]))
    """,
    not_iterable="""
        from partnership import hookimpl
        from partnership.checks import Check

        @hookimpl
        def register_checks(register):
            register(Check(name="none-at-all", description="Returns 7.", run=lambda view: 7))
    """,
    hangs=f"""
        from partnership import hookimpl
        from partnership.checks import Check

        @hookimpl
        def register_checks(register):
            register(Check(name="forever", description="An endless query.",
                           run=lambda view: view.query({FOREVER!r})))
    """,
    loops="""
        import time

        from partnership import hookimpl
        from partnership.checks import Check

        def run(view):
            time.sleep(6)  # Python that does not return (bounded, so the test run ends cleanly)
            return []

        @hookimpl
        def register_checks(register):
            register(Check(name="dawdle", description="Never returns in time.", run=run))
    """,
    writes="""
        from partnership import hookimpl
        from partnership.checks import Check

        def run(view):
            view.query("DELETE FROM commitments")
            return []

        @hookimpl
        def register_checks(register):
            register(Check(name="vandal", description="Tries to delete.", run=run))
    """,
    sneaks="""
        from partnership import hookimpl
        from partnership.checks import Check

        def run(view):
            view._conn.execute("UPDATE partners SET name = 'pwned'")
            return []

        @hookimpl
        def register_checks(register):
            register(Check(name="sneaky", description="Writes through the connection.", run=run))
    """,
)


def records(path):
    """Every row of the tables a plugin could damage (not the computed metric values)."""
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
                for t in ("partners", "people", "commitments", "observations", "changes")}
    finally:
        conn.close()


@pytest.fixture
def bad_checks(tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_CHECK_TIME_LIMIT", "0.5")
    return plugin_dir(tmp_path, **BAD_CHECKS)


def test_bad_checks_are_reported_by_name_and_the_rest_run(demo_path, bad_checks, run, unchanged):
    run.db = demo_path
    with partnership.open(demo_path) as p:
        clean = {(f.rule, f.subject) for f in p.check()}
    with unchanged(demo_path):
        t0 = time.monotonic()
        r = run("--plugins-dir", str(bad_checks), "check", "--json")
        assert time.monotonic() - t0 < 30  # the endless query was stopped
    assert "Traceback" not in r.output
    findings = json.loads(r.stdout)
    findings = findings["findings"] if isinstance(findings, dict) else findings
    failed = {f["plugin"]: f["message"] for f in findings if f["rule"] == "check-failed"}
    assert set(failed) == {"raises", "garbage", "not_iterable", "hangs", "loops", "writes", "sneaks"}
    assert "RuntimeError: the spreadsheet moved" in failed["raises"]
    assert "not Finding" in failed["garbage"]
    assert "took longer than 0.5 s" in failed["hangs"]
    assert "took longer than 0.5 s" in failed["loops"]
    assert "not authorized" in failed["writes"] and "not authorized" in failed["sneaks"]
    # every built-in check still ran and found what it finds without the plugins
    assert clean <= {(f["rule"], f["subject"]) for f in findings}
    with unchanged(demo_path):
        text = run("--plugins-dir", str(bad_checks), "check")
        assert "check 'boom' failed" in text.stdout + text.stderr
        for command in (["plugins"], ["partner", "list"], ["commitments"]):
            r = run("--plugins-dir", str(bad_checks), *command)
            assert r.exit_code == 0 and "Traceback" not in r.output, (command, r.output[-300:])
    # status refreshes the metrics (its own write), so compare the partnership's records instead
    before = records(demo_path)
    r = run("--plugins-dir", str(bad_checks), "status")
    assert r.exit_code == 0 and "Traceback" not in r.output
    assert records(demo_path) == before
    listed = run("--plugins-dir", str(bad_checks), "plugins").stdout
    assert all(name in listed for name in BAD_CHECKS)
    # and writes still work with the plugins loaded
    assert run("--plugins-dir", str(bad_checks), "commit", "county-police", "Still works",
               "--due", "2030-01-01").exit_code == 0


def test_a_plugin_that_fails_to_register_is_named_and_other_commands_work(demo_path, tmp_path, run,
                                                                          unchanged):
    directory = plugin_dir(tmp_path, broken_registration="""
        from partnership import hookimpl

        @hookimpl
        def register_checks(register):
            raise RuntimeError("no config file")
    """)
    run.db = demo_path
    with unchanged(demo_path):
        r = run("--plugins-dir", str(directory), "check")
        assert r.exit_code == 1
        assert r.stderr.strip().startswith("Error: plugin 'broken_registration' failed")
        assert len(r.stderr.strip().splitlines()) == 1
        for command in (["partner", "list"], ["log"], ["commitments"]):
            r = run("--plugins-dir", str(directory), *command)
            assert r.exit_code == 0 and "Traceback" not in r.output, (command, r.output[-300:])
    before = records(demo_path)
    r = run("--plugins-dir", str(directory), "status")
    assert r.exit_code == 0 and "Traceback" not in r.output
    assert records(demo_path) == before


BAD_PUBLIC = dict(
    raises="""
        from partnership.hookspecs import hookimpl

        @hookimpl
        def register_public_data(register):
            raise ValueError("lost the file")
    """,
    garbage="""
        from partnership.hookspecs import hookimpl

        @hookimpl
        def register_public_data(register):
            register(42)
    """,
    writes="""
        from partnership.hookspecs import hookimpl
        from partnership import PublicData

        @hookimpl
        def register_public_data(register):
            register(PublicData(name='vandal', sql='delete from partners'))
    """,
    private="""
        from partnership.hookspecs import hookimpl
        from partnership import PublicData

        @hookimpl
        def register_public_data(register):
            register(PublicData(name='leak', sql='select email, phone from people'))
    """,
)


@pytest.mark.parametrize("name", sorted(BAD_PUBLIC))
def test_bad_publish_plugins_leave_both_files_alone(name, demo_path, tmp_path, run, unchanged):
    public = tmp_path / "site" / "public.db"
    public.parent.mkdir()
    with partnership.open(demo_path) as p:
        publish(p, public)
    directory = plugin_dir(tmp_path, **{name: BAD_PUBLIC[name]})
    run.db = demo_path
    with unchanged(demo_path), unchanged(public):
        r = run("--plugins-dir", str(directory), "publish", str(public), "--no-refresh")
    assert "Traceback" not in r.output
    assert r.exit_code == 1 and f"'{name}'" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    leftovers = [p.name for p in public.parent.iterdir() if p.suffix == ".publishing"]
    assert leftovers == []
    with unchanged(demo_path):
        assert run("--plugins-dir", str(directory), "status").exit_code == 0


def test_a_plugin_view_that_never_ends_does_not_hang_the_site(demo_path, tmp_path):
    """An endless plugin view is published (views are not run), and the site's time limit stops it."""
    import asyncio

    from partnership.reporting.publish import make_datasette

    directory = plugin_dir(tmp_path, forever=f"""
        from partnership.hookspecs import hookimpl
        from partnership import PublicData

        @hookimpl
        def register_public_data(register):
            register(PublicData(name='forever', sql={FOREVER!r}))
    """)
    public = tmp_path / "public.db"
    t0 = time.monotonic()
    with partnership.open(demo_path, plugins_dir=directory) as p:
        result = publish(p, public, refresh=False)
    assert time.monotonic() - t0 < 30
    assert "forever" in result.views
    ds = make_datasette(public, result.metadata_path)

    async def fetch():
        return await ds.client.get("/public/forever.json")

    t0 = time.monotonic()
    r = asyncio.run(fetch())
    assert r.status_code == 400 and "too long" in r.text, (r.status_code, r.text[:300])
    assert time.monotonic() - t0 < 20
