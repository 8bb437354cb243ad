"""Every core command through click's CliRunner, as a partnership lead would type it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from partnership.cli import cli


@pytest.fixture(scope="module")
def _lead_template(tmp_path_factory, isolated_environment) -> Path:
    """The lead's partnership, typed once per module through the command line."""
    path = tmp_path_factory.mktemp("lead") / "partnership.db"
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, ["--db", str(path), *args], catch_exceptions=False)

    with isolated_environment():
        assert run("init", "Lancaster Community Safety Partnership", "--purpose", "Safer streets",
                   "--governance", "alliance").exit_code == 0
        for args in [
            ("partner", "add", "lancs-police", "--name", "Lancashire Constabulary", "--kind", "police"),
            ("partner", "add", "lancs-council", "--name", "Lancaster City Council", "--kind", "council"),
            ("person", "add", "jo-bloggs", "--name", "Jo Bloggs", "--partner", "lancs-police",
             "--email", "jo@example.org", "--phone", "01524 111222"),
            ("outcome", "add", "fewer-repeat-asb", "--title",
             "Fewer residents suffer repeated anti-social behaviour", "--beneficiaries", "Residents"),
            ("stake", "add", "fewer-repeat-asb", "lancs-police", "--motivation", "Officer time"),
            ("stake", "add", "fewer-repeat-asb", "lancs-council", "--motivation", "Residents' survey"),
            ("contribution", "add", "fewer-repeat-asb", "lancs-police", "--kind", "people",
             "--description", "Two PCSOs", "--amount", "2", "--unit", "FTE", "--additional"),
        ]:
            result = run(*args)
            assert result.exit_code == 0, result.output
    assert not Path(f"{path}-wal").exists(), "the template must be whole in its main file"
    return path


@pytest.fixture
def lead(run, db_path, _lead_template):
    """A partnership built entirely through the command line (typed once per module by
    ``_lead_template``; each test gets its own copy of the file)."""
    shutil.copyfile(_lead_template, db_path)
    return run


def test_read_commands_json(lead):
    partners = json.loads(lead("partner", "list", "--json").stdout)
    assert [p["slug"] for p in partners] == ["lancs-council", "lancs-police"]
    people = json.loads(lead("person", "list", "--json").stdout)
    assert people[0]["partner"] == "lancs-police"
    outcome = json.loads(lead("outcome", "show", "fewer-repeat-asb", "--json").stdout)
    assert outcome["status"] == "proposed"
    stakes = json.loads(lead("stake", "list", "--outcome", "fewer-repeat-asb", "--json").stdout)
    assert len(stakes) == 2
    contributions = json.loads(lead("contribution", "list", "--json").stdout)
    assert contributions == [{"id": 1, "outcome": "fewer-repeat-asb", "partner": "lancs-police",
                              "kind": "people", "description": "Two PCSOs", "amount": 2.0,
                              "unit": "FTE", "additional": True,
                              **{k: v for k, v in contributions[0].items() if k in ("meets", "confidence")}}]
    about = json.loads(lead("about", "--json").stdout)
    assert about["governance"] == "alliance" and about["schema_version"] >= 1
    assert json.loads(lead("check", "--json").stdout) == []
    log = json.loads(lead("log", "--json").stdout)
    assert log[0]["summary"].startswith("contribution 1")
    assert all(c["actor"] == "tester" for c in log)


def test_tables_for_people(lead):
    out = lead("partner", "list").stdout
    assert out.splitlines()[0].split() == ["slug", "name", "kind"]
    assert "Lancashire Constabulary" in out
    assert "Two PCSOs" in lead("contribution", "list").stdout
    assert "No findings" in lead("check").stdout
    assert "partnership created" in lead("log").stdout


def test_updates_and_removes(lead):
    assert lead("outcome", "update", "fewer-repeat-asb", "--status", "agreed").exit_code == 0
    assert lead("partner", "update", "lancs-police", "--name", "Lancashire Police").exit_code == 0
    assert lead("person", "update", "jo-bloggs", "--role", "Inspector").exit_code == 0
    assert lead("stake", "update", "fewer-repeat-asb", "lancs-council", "--motivation", "ASB").exit_code == 0
    assert lead("contribution", "update", "1", "--business-as-usual").exit_code == 0
    assert lead("about", "--purpose", "Safer streets for all").exit_code == 0
    result = lead("check")
    assert result.exit_code == 1 and "in-name-only" in result.stdout
    assert lead("contribution", "remove", "1").exit_code == 0
    assert lead("stake", "remove", "fewer-repeat-asb", "lancs-council").exit_code == 0
    assert lead("person", "remove", "jo-bloggs").exit_code == 0
    assert "remove  person jo-bloggs" in lead("log", "--limit", "1").stdout


def test_check_filters_by_step(lead):
    lead("outcome", "add", "hold-meetings", "--title", "Hold quarterly meetings")
    findings = json.loads(lead("check", "--step", "2", "--json").stdout)
    assert {f["step"] for f in findings} == {2}


@pytest.mark.parametrize(
    "args, message",
    [
        (("partner", "add", "lancs-police", "--name", "Again"), "partner 'lancs-police' already exists"),
        (("partner", "add", "Bad Slug", "--name", "X"), "for example 'bad-slug'"),
        (("partner", "add", "fire", "--name", "Fire", "--kind", "flames"), "kind must be one of"),
        (("person", "add", "sam", "--name", "Sam", "--partner", "lancs-polise"),
         "did you mean 'lancs-police'"),
        (("stake", "add", "fewer-repeat-asx", "lancs-police"), "no outcome 'fewer-repeat-asx'"),
        (("contribution", "add", "fewer-repeat-asb", "lancs-police", "--description", "x",
          "--amount", "lots", "--unit", "FTE"), "amount must be a number"),
        (("contribution", "update", "99", "--amount", "1"), "no contribution '99'"),
        (("outcome", "add", "x", "--title", "X", "--status", "done"), "status must be one of"),
        (("about", "--governance", "monarchy"), "governance must be one of"),
        (("partner", "show", "nobody"), "no partner 'nobody'"),
        (("partner", "remove", "lancs-police"), "still used by"),
        (("log", "--since", "yesterday"), "since must be a date"),
        (("init", "Another"), "already holds"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(lead, db_path, unchanged, args, message):
    with unchanged(db_path):
        result = lead(*args)
    assert result.exit_code != 0
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_database_is_not_created(run, db_path):
    result = run("partner", "list")
    assert result.exit_code == 1
    assert "no partnership database at" in result.stderr
    assert f"partnership --db {db_path} init NAME" in result.stderr
    assert not db_path.exists()


def test_not_a_partnership_database(run, db_path):
    db_path.write_text("hello, I am a spreadsheet")
    result = run("outcome", "list")
    assert result.exit_code == 1 and "not a partnership database" in result.stderr
    assert db_path.read_text() == "hello, I am a spreadsheet"


def test_db_from_environment(lead, db_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_DB", str(db_path))
    result = lead("partner", "list", "--json", db=False)
    assert len(json.loads(result.stdout)) == 2


def test_export_and_import_through_cli(lead, tmp_path):
    out = tmp_path / "p.yaml"
    assert lead("export", "--output", str(out)).exit_code == 0
    text = out.read_text()
    assert "jo@example.org" in text
    public = lead("export", "--format", "json", "--no-private").stdout
    assert "jo@example.org" not in public and json.loads(public)["partners"]
    copy = tmp_path / "copy.db"
    result = lead("--db", str(copy), "import", str(out), db=False)
    assert result.exit_code == 0, result.output
    again = lead("--db", str(copy), "import", str(out), "--json", db=False)
    counts = json.loads(again.stdout)
    assert all(c["added"] == 0 and c["updated"] == 0 for c in counts.values())
    csv_text = lead("export", "--format", "csv", "--section", "partners").stdout
    assert csv_text.splitlines()[0] == "slug,name,kind,description,website"


def test_cli_csv_import_bad_row(lead, tmp_path, db_path, unchanged):
    path = tmp_path / "partners.csv"
    path.write_text("slug,name,kind\nymca,YMCA,charity\nfire,Fire,flames\n")
    with unchanged(db_path):
        result = lead("import", str(path))
    assert result.exit_code == 1
    assert "line 3" in result.stderr and "Nothing was imported" in result.stderr


def test_import_of_unknown_format(lead, tmp_path):
    path = tmp_path / "p.ods"
    path.write_text("x")
    result = lead("import", str(path))
    assert result.exit_code == 1 and "use a .yaml, .yml, .json, .xlsx or .csv file" in result.stderr


def test_import_creates_database_from_export(demo_path, tmp_path, run):
    export = run("--db", str(demo_path), "export", db=False).stdout
    path = tmp_path / "demo.yaml"
    path.write_text(export)
    target = tmp_path / "new.db"
    result = run("--db", str(target), "import", str(path), db=False)
    assert result.exit_code == 0, result.output
    result = run("--db", str(target), "about", "--json", db=False)
    assert json.loads(result.stdout)["name"] == "Lunesdale Community Safety Partnership"


def test_demo_command(run, tmp_path):
    path = tmp_path / "demo.db"
    result = run("demo", str(path), db=False)
    assert result.exit_code == 0
    again = run("demo", str(path), db=False)
    assert again.exit_code == 1 and "already exists" in again.stderr
    outcomes = json.loads(run("--db", str(path), "outcome", "list", "--json", db=False).stdout)
    assert 5 <= len(outcomes) <= 8
    partners = json.loads(run("--db", str(path), "partner", "list", "--json", db=False).stdout)
    assert 6 <= len(partners) <= 10
    assert run("--db", str(path), "check", db=False).exit_code == 1


def test_plugins_command(run, tmp_path):
    rows = json.loads(run("plugins", "--json").stdout)
    core = [r for r in rows if r["name"] == "partnership.outcomes"][0]
    assert core["source"] == "built-in"
    assert {c["name"] for c in core["adds"]["checks"]} >= {"not-shared", "in-name-only"}
    (tmp_path / "broken.py").write_text("import does_not_exist\n")
    result = run("--plugins-dir", str(tmp_path), "plugins")
    assert result.exit_code == 1
    assert "broken.py failed to load at line 1 (ModuleNotFoundError" in result.stderr


def test_help_does_not_import_heavy_modules():
    import subprocess
    import sys

    code = ("import sys, partnership.cli; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('datasette', 'cattrs', 'sqlite_utils', 'yaml')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("group", ["commitment", "partner", "invite", "observation"])
def test_a_group_typed_alone_prints_its_help_as_lines(lead, group):
    """`partnership commitment` with no subcommand: the group's help, one line per line
    (the one-line escaping of usage errors must not turn it into a single '\\n' line)."""
    result = lead(group)
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert f" {group} [OPTIONS] COMMAND" in text
    assert "\\n" not in text
    assert len(text.splitlines()) > 3
