"""Misbehaving plugins in the check and publish hooks (metric plugins: test_measure_plugins.py).

A plugin that raises, hangs, returns garbage or tries to write is reported by name;
the other checks and commands still work; the working database is unchanged.
"""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
from plugin_files import plugin_dir

import partnership
from partnership.reporting.build import publish

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
    monkeypatch.setenv("PARTNERSHIP_PLUGIN_TIME_LIMIT", "0.5")
    return plugin_dir(tmp_path, **BAD_CHECKS)


@pytest.mark.slow
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
    private_rows="""
        from partnership.hookspecs import hookimpl
        from partnership import PublicData

        @hookimpl
        def register_public_data(register):
            register(PublicData(name='contacts', rows=[{'name': 'Jo', 'email': 'jo@example.org'}]))
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


@pytest.mark.slow
def test_a_plugin_view_that_never_ends_does_not_hang_the_site(demo_path, tmp_path):
    """An endless plugin view is published (views are not run), and the site's time limit stops it."""
    import asyncio

    from partnership.reporting.serve import make_datasette

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


# -- the sandbox on every path: its own read-only connection and the time limit ----------------------
#
# Through the library, plugin code used to run on the main connection whenever the data was
# in memory or inside an open transaction: it could remove the authorizer and write, and a
# Python loop was never stopped. Now it always gets a connection of its own (a snapshot of
# what the caller sees, when a second connection to the file could not see it).

ESCAPES = """
    import time

    from partnership import Check, Finding, Metric, hookimpl


    def _break_out(view):
        conn = view._conn
        conn.set_authorizer(None)
        conn.execute("PRAGMA query_only = OFF")
        conn.execute("UPDATE partners SET name = 'pwned'")
        conn.execute("DELETE FROM changes")
        conn.commit()


    def escape_check(view):
        n = view.scalar("SELECT count(*) FROM partners")
        try:
            _break_out(view)
        except Exception:
            pass
        yield Finding(rule="seen", subject="partners", message=f"{n} partners", severity="info")


    def escape_metric(view):
        n = view.scalar("SELECT count(*) FROM partners")
        try:
            _break_out(view)
        except Exception:
            pass
        return n


    def sleepy(view):
        time.sleep(3)
        return 1


    @hookimpl
    def register_checks(register):
        register(Check(name="escape", description="Removes the authorizer and writes.", run=escape_check))
        register(Check(name="sleepy-check", description="Sleeps.", run=lambda view: sleepy(view) and []))


    @hookimpl
    def register_metrics(register):
        register(Metric(name="escape", description="Removes the authorizer and writes.",
                        compute=escape_metric, scope="partnership"))
        register(Metric(name="sleepy", description="Sleeps.", compute=sleepy, scope="partnership"))
"""


@pytest.fixture
def escapes(tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_PLUGIN_TIME_LIMIT", "0.5")
    return plugin_dir(tmp_path, escapes=ESCAPES)


def _assert_sandboxed(p, partners_seen: int) -> None:
    t0 = time.monotonic()
    findings = p.check()
    elapsed = time.monotonic() - t0
    by_check = {}
    for f in findings:
        if f.plugin == "escapes":
            by_check.setdefault(f.check, []).append(f)
    # the check saw what the caller sees (even uncommitted rows), and its writes went nowhere
    assert by_check["escape"][0].message == f"{partners_seen} partners"
    assert "took longer than 0.5 s" in by_check["sleepy-check"][0].message
    assert elapsed < 2.5, elapsed
    t0 = time.monotonic()
    result = p.measure.refresh()
    elapsed = time.monotonic() - t0
    runs = {r.metric: r for r in result.runs}
    assert runs["escape"].ok and runs["escape"].values == [("", p.today().isoformat(), partners_seen)]
    assert not runs["sleepy"].ok and "took longer than 0.5 s" in runs["sleepy"].error
    assert elapsed < 2.5, elapsed
    names = [r["name"] for r in p.store.query("SELECT name FROM partners")]
    assert len(names) == partners_seen and "pwned" not in names
    assert p.store.query("SELECT count(*) AS n FROM changes")[0]["n"] > 0


@pytest.mark.slow
def test_plugins_are_sandboxed_inside_an_open_transaction(tmp_path, escapes):
    path = tmp_path / "p.db"
    partnership.create(path, name="T", governance="alliance").close()
    with partnership.open(path, plugins_dir=escapes) as p:
        p.partners.add(slug="police", name="Police", kind="police")
        with p.store.transaction():
            p.partners.add(slug="council", name="Council", kind="council")  # not committed yet
            _assert_sandboxed(p, 2)
        assert [r["name"] for r in p.store.query("SELECT name FROM partners ORDER BY 1")] == [
            "Council", "Police"]
    conn = sqlite3.connect(path)
    assert "pwned" not in {r[0] for r in conn.execute("SELECT name FROM partners")}
    conn.close()


@pytest.mark.slow
def test_plugins_are_sandboxed_on_an_in_memory_partnership(escapes):
    with partnership.create(":memory:", name="T", governance="alliance", plugins_dir=escapes) as p:
        p.partners.add(slug="police", name="Police", kind="police")
        _assert_sandboxed(p, 1)


@pytest.mark.slow
def test_plugins_are_sandboxed_on_a_file_outside_a_transaction(tmp_path, escapes):
    path = tmp_path / "p.db"
    with partnership.create(path, name="T", governance="alliance", plugins_dir=escapes) as p:
        p.partners.add(slug="police", name="Police", kind="police")
        _assert_sandboxed(p, 1)


def test_a_plugin_named_like_a_built_in_is_still_sandboxed(tmp_path, escapes):
    """Only partnership's own modules are built-ins; a plugin file called partnership.x.py is not."""
    (escapes / "escapes.py").rename(escapes / "partnership.builtin.extra.py")
    with partnership.create(":memory:", name="T", governance="alliance", plugins_dir=escapes) as p:
        p.partners.add(slug="police", name="Police", kind="police")
        t0 = time.monotonic()
        failed = [f for f in p.check() if f.rule == "check-failed"]
        assert time.monotonic() - t0 < 2.5
        assert [f.plugin for f in failed] == ["partnership.builtin.extra"]
        names = [r["name"] for r in p.store.query("SELECT name FROM partners")]
        assert names == ["Police"]


# -- plugin data is checked against the private fields, by column and by value ------------------------

LEAKS = {
    # rows computed in Python: a private value in a cell, whatever the column is called
    "rows-value": "PublicData(name='contacts', rows=[{'who': 'Jo', 'contact': 'jo@example.org'}])",
    "rows-value-in-text": "PublicData(name='notes', rows=[{'note': 'ring Jo on 01524 000000 after six'}])",
    "rows-value-case": "PublicData(name='contacts', rows=[{'contact': 'JO@EXAMPLE.ORG'}])",
    # a column named like a private field, whatever it holds
    "rows-column": "PublicData(name='contacts', rows=[{'name': 'Jo', 'Phone': 'ask at reception'}])",
    # SQL cannot read private columns, but it can carry a private value as a literal
    "sql-table-literal": "PublicData(name='contacts', kind='table', sql=\"select 'jo@example.org' as c\")",
    "sql-view-literal": "PublicData(name='contacts', sql=\"select slug, 'jo@example.org' as c from people\")",
    "sql-view-column": "PublicData(name='contacts', sql='select slug, name as email from people')",
}


@pytest.mark.parametrize("leak", sorted(LEAKS))
def test_plugin_public_data_holding_private_fields_is_refused(leak, small, tmp_path):
    directory = plugin_dir(tmp_path, leaky=f"""
        from partnership.hookspecs import hookimpl
        from partnership import PublicData

        @hookimpl
        def register_public_data(register):
            register({LEAKS[leak]})
    """)
    public = tmp_path / "public.db"
    from partnership.publicdata import PublishError

    with partnership.open(small.store.path, plugins_dir=directory) as p, \
            pytest.raises(PublishError) as caught:
        publish(p, public, metadata_out=False, refresh=False)
    message = str(caught.value)
    assert message.startswith("plugin 'leaky'") and "\n" not in message, message
    assert "private" in message
    # the error names the field, never the private value itself
    assert "jo@example.org" not in message.lower() and "01524 000000" not in message
    assert not public.exists()
    assert [f.name for f in tmp_path.iterdir() if f.suffix == ".publishing"] == []


def test_plugin_public_data_without_private_values_is_published(small, tmp_path):
    directory = plugin_dir(tmp_path, fine="""
        from partnership.hookspecs import hookimpl
        from partnership import PublicData

        @hookimpl
        def register_public_data(register):
            register(PublicData(name='roles', rows=[{'person': 'jo-bloggs', 'role': 'Inspector'}]))
            register(PublicData(name='people_named', sql='select slug, name from people'))
            register(PublicData(name='people_count', kind='table', sql='select count(*) as n from people'))
    """)
    public = tmp_path / "public.db"
    with partnership.open(small.store.path, plugins_dir=directory) as p:
        result = publish(p, public, metadata_out=False, refresh=False)
    assert result.tables["roles"] == 1 and result.tables["people_count"] == 1
    assert "people_named" in result.views
