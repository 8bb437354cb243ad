"""Steps 1 and 2 end to end: every core command, the library API, and bad input."""

from __future__ import annotations

import json
import sqlite3

import pytest
from plugin_files import plugin_dir

import partnership
from partnership import errors

# -- library API -------------------------------------------------------------------

def test_create_and_reopen(db_path):
    with partnership.create(db_path, name="Lancaster CSP", purpose="Safer streets",
                            governance="alliance") as p:
        assert p.info().governance.value == "alliance"
    with partnership.open(db_path) as p:
        assert p.info().name == "Lancaster CSP"
        assert p.store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert p.store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_create_refuses_existing(p, db_path):
    with pytest.raises(errors.AlreadyExists, match="already holds 'Test Partnership'"):
        partnership.create(db_path, name="Another")


def test_add_get_list_update_remove(small):
    p = small
    assert [x.slug for x in p.partners.list()] == ["lancs-council", "lancs-police"]
    assert p.partners.get("lancs-police").kind.value == "police"
    p.partners.update("lancs-police", name="Lancashire Police")
    assert p.partners.get("lancs-police").name == "Lancashire Police"
    assert [x.slug for x in p.partners.list(kind="council")] == ["lancs-council"]
    p.partners.add(slug="ymca", name="Lancaster YMCA", kind="charity")
    p.partners.remove("ymca")
    with pytest.raises(errors.NotFound):
        p.partners.get("ymca")
    contribution = p.contributions.list()[0]
    assert contribution.id == 1 and contribution.additional is True and contribution.amount == 2.0


def test_remove_refused_while_referenced(small):
    with pytest.raises(errors.Conflict, match="still used by 1 people, 1 stakes, 1 contributions"):
        small.partners.remove("lancs-police")


def test_key_cannot_change(small):
    with pytest.raises(errors.ValidationError, match="slug of a partner cannot change"):
        small.partners.update("lancs-police", slug="other")


def test_change_log_records_every_write_without_private_fields(small):
    changes = small.changes()
    assert [c.action for c in changes].count("add") == len(changes)
    person = [c for c in changes if c.entity == "person"][0]
    assert "email" not in person.data and "phone" not in person.data
    assert person.actor == "tester"
    small.people.update("jo-bloggs", email="jo.b@example.org")
    latest = small.changes(limit=1)[0]
    assert latest.action == "update"
    assert latest.data["private_fields_changed"] == ["email"]
    assert "jo.b@example.org" not in json.dumps(latest.data)


def test_failed_write_writes_nothing(small):
    before = len(small.changes())
    with pytest.raises(errors.NotFound):
        small.stakes.add(outcome="fewer-repeat-asb", partner="nobody")
    assert len(small.changes()) == before
    assert len(small.stakes.list()) == 2


def test_transaction_is_all_or_nothing(small):
    with pytest.raises(errors.AlreadyExists):
        with small.store.transaction():
            small.partners.add(slug="ymca", name="YMCA")
            small.partners.add(slug="ymca", name="YMCA again")
    assert not small.partners.exists("ymca")


@pytest.mark.parametrize(
    "fields, message",
    [
        (dict(slug="Lancs Police", name="x"), "for example 'lancs-police'"),
        (dict(slug="a", name="x", kind="polise"), "kind must be one of council"),
        (dict(slug="a"), "name is required"),
        (dict(slug="a", name="   "), "name must not be empty"),
        (dict(slug="a", name=7), "name must be text"),
        (dict(slug="a", name="x", colour="red"), "unknown field colour"),
    ],
)
def test_partner_validation(p, fields, message):
    with pytest.raises(errors.ValidationError) as info:
        p.partners.add(**fields)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "fields, message",
    [
        (dict(amount="two", unit="FTE"), "amount must be a number"),
        (dict(amount=-1, unit="FTE"), "amount must not be negative"),
        (dict(amount=2), "needs a unit"),
        (dict(unit="FTE"), "needs an amount"),
        (dict(kind="cash"), "kind must be one of people, money"),
        (dict(amount="nan", unit="FTE"), "finite"),
        (dict(additional="perhaps"), "additional must be yes or no"),
    ],
)
def test_contribution_validation(small, fields, message):
    with pytest.raises(errors.ValidationError) as info:
        small.contributions.add(outcome="fewer-repeat-asb", partner="lancs-council",
                                description="Something", **fields)
    assert message in str(info.value)


def test_private_email_validated(small):
    with pytest.raises(errors.ValidationError, match="not an email address"):
        small.people.add(slug="sam", name="Sam", partner="lancs-council", email="sam at council")


# -- checks ----------------------------------------------------------------------------

def rules(p):
    return {(f.rule, f.subject) for f in p.check()}


def test_checks_quiet_on_a_good_outcome(small):
    assert rules(small) == set()


def test_not_shared_fires_and_clears(small):
    small.outcomes.add(slug="safer-nights", title="People feel safe at night", beneficiaries="Residents")
    small.contributions.add(outcome="safer-nights", partner="lancs-council", kind="money",
                            description="Taxi marshals", amount=1000, unit="GBP", additional=True)
    assert ("not-shared", "outcome safer-nights") in rules(small)
    small.stakes.add(outcome="safer-nights", partner="lancs-council", motivation="Town centre plan")
    assert ("not-shared", "outcome safer-nights") in rules(small)
    small.stakes.add(outcome="safer-nights", partner="lancs-police", motivation="Violence")
    assert rules(small) == set()


def test_not_open(small):
    small.stakes.update("fewer-repeat-asb", "lancs-council", motivation="")
    assert rules(small) == {("not-open", "outcome fewer-repeat-asb")}


@pytest.mark.parametrize("title", ["Hold quarterly meetings", "Launch a website",
                                   "To set up a steering group", "A partnership newsletter"])
def test_activity_titles_are_not_outcomes(small, title):
    small.outcomes.update("fewer-repeat-asb", title=title)
    assert ("not-an-outcome", "outcome fewer-repeat-asb") in rules(small)


@pytest.mark.parametrize("title", ["Fewer residents suffer repeated ASB",
                                   "Young people feel safe on the way to school",
                                   "Older people are safer at home"])
def test_outcome_titles_pass(small, title):
    small.outcomes.update("fewer-repeat-asb", title=title)
    assert rules(small) == set()


def test_no_beneficiaries(small):
    small.outcomes.update("fewer-repeat-asb", beneficiaries="")
    assert rules(small) == {("no-beneficiaries", "outcome fewer-repeat-asb")}


def test_in_name_only(small):
    small.contributions.update(1, additional=False)
    assert rules(small) == {("in-name-only", "outcome fewer-repeat-asb")}
    small.contributions.remove(1)
    finding = [f for f in small.check() if f.rule == "in-name-only"][0]
    assert "nobody contributes" in finding.message


def test_dropped_outcomes_are_not_checked(small):
    small.outcomes.add(slug="old", title="Hold meetings", status="dropped")
    assert rules(small) == set()


def test_raising_plugin_check_is_reported_and_others_still_run(small):
    from partnership import Check, hookimpl

    class Broken:
        @hookimpl
        def register_checks(self, register):
            register(Check(name="broken", description="raises", run=lambda view: 1 / 0))

    small.outcomes.update("fewer-repeat-asb", beneficiaries="")
    pm = small.plugin_manager
    pm.register(Broken(), name="broken-plugin")
    try:
        findings = small.check()
    finally:
        pm.unregister(name="broken-plugin")
    failed = [f for f in findings if f.rule == "check-failed"]
    assert failed and failed[0].plugin == "broken-plugin" and "ZeroDivisionError" in failed[0].message
    assert any(f.rule == "no-beneficiaries" for f in findings)


def test_plugin_check_cannot_write(small):
    from partnership import Check, Finding, hookimpl

    def sneaky(view):
        view._conn.execute("DELETE FROM partners")
        return [Finding(rule="x", subject="y", message="z")]

    class Sneaky:
        @hookimpl
        def register_checks(self, register):
            register(Check(name="sneaky", description="tries to write", run=sneaky))

    pm = small.plugin_manager
    pm.register(Sneaky(), name="sneaky")
    try:
        findings = small.check()
    finally:
        pm.unregister(name="sneaky")
    assert any(f.rule == "check-failed" and f.plugin == "sneaky" for f in findings)
    assert len(small.partners.list()) == 2


def test_plugins_dir_check(small, tmp_path):
    directory = plugin_dir(tmp_path, name_length=(
        "from partnership import Check, Finding, hookimpl\n"
        "def long_names(view):\n"
        "    for r in view.query('select slug, name from partners where length(name) > 20'):\n"
        "        yield Finding(rule='long-name', subject='partner ' + r['slug'], message='long')\n"
        "@hookimpl\n"
        "def register_checks(register):\n"
        "    register(Check(name='long-name', description='Names over 20 characters', run=long_names))\n"
    ))
    with partnership.open(small.store.path, plugins_dir=directory) as p:
        found = [f for f in p.check() if f.rule == "long-name"]
    assert [f.subject for f in found] == ["partner lancs-council", "partner lancs-police"]
    assert found[0].plugin == "name_length"


def test_plugin_file_with_syntax_error(small, tmp_path):
    (tmp_path / "bad.py").write_text("def broken(:\n")
    # plugins are loaded when the file is opened (they may add tables), so nothing runs
    with pytest.raises(errors.PluginError, match=r"bad.py has a syntax error at line 1"):
        partnership.open(small.store.path, plugins_dir=tmp_path)


def test_check_name_clash(small, tmp_path):
    (tmp_path / "clash.py").write_text(
        "from partnership import Check, hookimpl\n"
        "@hookimpl\n"
        "def register_checks(register):\n"
        "    register(Check(name='not-shared', description='dup', run=lambda v: []))\n")
    with partnership.open(small.store.path, plugins_dir=tmp_path) as p:
        with pytest.raises(errors.PluginError, match="clashes with the one from"):
            p.check()


# -- the database file ------------------------------------------------------------------

def test_missing_database(tmp_path):
    with pytest.raises(errors.NoDatabase, match="partnership init"):
        partnership.open(tmp_path / "nope.db")
    assert not (tmp_path / "nope.db").exists()


def test_not_sqlite(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("just some text, long enough to have a header")
    with pytest.raises(errors.NotAPartnershipDatabase, match="not SQLite"):
        partnership.open(path)


def test_other_sqlite_database_untouched(tmp_path, unchanged):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("create table invoices (id integer primary key)")
    conn.commit()
    conn.close()
    with unchanged(path):
        with pytest.raises(errors.NotAPartnershipDatabase, match="it holds invoices"):
            partnership.open(path)


def test_newer_schema_refused(small, db_path, unchanged):
    small.store.db["_sqlite_migrations"].insert(
        {"migration_set": "partnership", "name": "m999_from_the_future", "applied_at": "2030"})
    small.close()
    with unchanged(db_path):
        with pytest.raises(errors.SchemaTooNew, match="pip install -U partnership"):
            partnership.open(db_path)


def test_migration_from_first_schema(tmp_path):
    """A file made with only the first migration upgrades in place, keeping its rows."""
    from sqlite_utils import Database

    from partnership import schema

    path = tmp_path / "old.db"
    db = Database(path)
    from partnership.plugins import default_registry

    names = schema.known_migrations()
    schema.Runner(default_registry().migration_sets).apply(db, stop_before=names[1])
    db["partnership"].insert({"id": 1, "name": "Old", "created_at": "2025-01-01"})
    db["partners"].insert({"slug": "old-council", "name": "Old Council", "kind": "council"})
    db["outcomes"].insert({"slug": "fewer-x", "title": "Fewer x", "status": "agreed"})
    db["contributions"].insert({"outcome": "fewer-x", "partner": "old-council", "kind": "money",
                                "description": "Grant", "amount": 5, "unit": "GBP", "additional": 1})
    db.close()
    with partnership.open(path) as p:
        assert p.store.schema_version == len(names)
        assert p.partners.get("old-council").name == "Old Council"
        assert p.contributions.list()[0].description == "Grant"


# -- import / export ------------------------------------------------------------------------

def test_export_import_round_trip(demo_path, tmp_path, migrated_template):
    import shutil

    from partnership import exchange

    with partnership.open(demo_path) as p:
        original = exchange.export_data(p)
    for fmt in ("yaml", "json"):
        path = tmp_path / f"export.{fmt}"
        path.write_text(exchange.dumps(original, fmt))
        shutil.copyfile(migrated_template, tmp_path / f"copy-{fmt}.db")  # the schema, pre-built
        with partnership.create(tmp_path / f"copy-{fmt}.db", name="placeholder") as copy:
            exchange.import_document(copy, path)
            assert exchange.export_data(copy) == original
            before = len(copy.changes())
            counts = exchange.import_document(copy, path)
            assert all(c["added"] == 0 and c["updated"] == 0 for c in counts.values())
            assert len(copy.changes()) == before


def test_import_reports_every_bad_row_and_writes_nothing(small, tmp_path, db_path, unchanged):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "partners:\n"
        "  - {slug: ymca, name: Lancaster YMCA, kind: charity}\n"
        "  - {slug: Bad Slug, name: X}\n"
        "  - {slug: fire, name: Fire, kind: flames}\n")
    small.close()
    with partnership.open(db_path) as p:
        pass
    with unchanged(db_path):
        with partnership.open(db_path) as p:
            with pytest.raises(errors.ImportFileError) as info:
                from partnership import exchange
                exchange.import_document(p, path)
    message = str(info.value)
    assert "partners[1]" in message and "partners[2]" in message and "flames" in message
    assert "Nothing was imported" in message


def test_import_with_unknown_reference_writes_nothing(small, tmp_path):
    from partnership import exchange

    path = tmp_path / "refs.json"
    path.write_text(json.dumps({"partners": [{"slug": "ymca", "name": "YMCA"}],
                                "stakes": [{"outcome": "nope", "partner": "ymca"}]}))
    with pytest.raises(errors.ImportFileError, match=r"stakes\[0\] no outcome 'nope'"):
        exchange.import_document(small, path)
    assert not small.partners.exists("ymca")


def test_csv_import_partners_and_contributions(small, tmp_path):
    from partnership import exchange

    partners = tmp_path / "partners.csv"
    partners.write_text("slug,name,kind\nymca,Lancaster YMCA,charity\nfire,Lancashire Fire,fire\n")
    assert exchange.import_csv(small, partners, "partners") == {
        "partners": {"added": 2, "updated": 0, "unchanged": 0}}
    contributions = tmp_path / "contributions.csv"
    contributions.write_text(
        "outcome,partner,kind,description,amount,unit,additional\n"
        "fewer-repeat-asb,ymca,people,Youth workers,2,FTE,yes\n"
        "fewer-repeat-asb,fire,skills,Fire safety talks,,,no\n")
    exchange.import_csv(small, contributions, "contributions")
    again = exchange.import_csv(small, contributions, "contributions")
    assert again == {"contributions": {"added": 0, "updated": 0, "unchanged": 2}}
    assert len(small.contributions.list()) == 3


@pytest.mark.parametrize(
    "text, message",
    [
        ("slug,name,kind\nymca,YMCA,charity\nbad slug,X,council\nfire,Fire,flames\n",
         "line 3: partner: slug 'bad slug'"),
        ("slug,kind\nymca,charity\n", "missing column name"),
        ("slug,name,colour\nymca,YMCA,red\n", "unknown column colour"),
        ("slug,name\nymca,YMCA,extra\n", "line 2: has 3 values but the header names 2 columns"),
        ("", "is empty"),
    ],
)
def test_csv_bad_input(small, tmp_path, text, message):
    from partnership import exchange

    path = tmp_path / "partners.csv"
    path.write_text(text)
    with pytest.raises(errors.ImportFileError) as info:
        exchange.import_csv(small, path, "partners")
    assert message in str(info.value)
    assert [x.slug for x in small.partners.list()] == ["lancs-council", "lancs-police"]


def test_csv_line_numbers_count_multiline_cells(small, tmp_path):
    from partnership import exchange

    path = tmp_path / "partners.csv"
    path.write_text('slug,name,description\nymca,YMCA,"two\nlines"\nBAD,X,\n')
    with pytest.raises(errors.ImportFileError, match="line 4: "):
        exchange.import_csv(small, path, "partners")
