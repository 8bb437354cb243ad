"""What a new lead meets in the first hour (issue 20): output that fits an 80-column
terminal without cutting a slug, help that fits, words that agree with their numbers,
money with its currency, advice that fits the problem, one line saying how to start when
there is no database, and partnership.testing for plugin authors."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from partnership.cli import cli
from partnership.cli.output import plural, table, wrap

WIDTH = 80


def at_80(*args: str, db: Path | None = None) -> tuple[int, str, str]:
    argv = (["--db", str(db)] if db else []) + list(args)
    r = CliRunner().invoke(cli, argv, env={"COLUMNS": str(WIDTH)}, catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


def too_wide(text: str) -> list[str]:
    return [line for line in text.splitlines() if len(line) > WIDTH]


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9][a-z0-9-]*[a-z0-9]", text))


# -- 80 columns ------------------------------------------------------------------------------

READING_COMMANDS = [
    ("status",), ("contribution", "list"), ("ledger",), ("check",), ("gaps",), ("commitments",),
    ("assess", "show"), ("partner", "list"), ("person", "list"), ("outcome", "list"), ("need", "list"),
    ("capacity", "list"), ("log",), ("pairs", "history"), ("plugins", "--verbose"), ("doctor",),
    ("meeting", "check", "tasking-2026-03", "--hourly-rate", "45"), ("governance",),
    ("meeting", "show", "tasking-2026-03"), ("indicator", "show", "repeat-victims"),
    ("outcome", "show", "fewer-repeat-asb"), ("meeting", "list"), ("stake", "list"),
]


@pytest.mark.slow
@pytest.mark.parametrize("command", READING_COMMANDS, ids=" ".join)
def test_every_reading_command_fits_80_columns_on_the_demo(demo_path, monkeypatch, command):
    monkeypatch.setenv("PARTNERSHIP_TODAY", "2026-12-02")
    status, out, err = at_80(*command, db=demo_path)
    assert status in (0, 1), err
    wide = too_wide(out)
    assert not wide, f"partnership {' '.join(command)} is wider than 80:\n" + "\n".join(wide)
    if command != ("log",):  # the log's summaries are shortened by the library, not cut here
        assert "…" not in out


@pytest.mark.parametrize(("command", "table_name", "columns"), [
    (("status",), "indicators", ("slug", "outcome")),
    (("contribution", "list"), "contributions", ("outcome", "partner")),
    (("ledger",), "partners", ("slug",)),
    (("check",), "outcomes", ("slug",)),
])
def test_no_slug_is_cut_at_80_columns(demo_path, monkeypatch, command, table_name, columns):
    """Every slug the command shows is whole, so it can be copied back into a command."""
    monkeypatch.setenv("PARTNERSHIP_TODAY", "2026-12-02")
    _, out, _ = at_80(*command, db=demo_path)
    with sqlite3.connect(demo_path) as conn:
        slugs = {v for c in columns for (v,) in conn.execute(f"SELECT DISTINCT {c} FROM {table_name}")}
    if command == ("check",):  # check names only the outcomes that have findings
        _, listed, _ = at_80("check", "--json", db=demo_path)
        slugs = {s for s in slugs if f'"subject": "outcome {s}"' in listed}
        assert slugs
    assert "…" not in out
    assert slugs <= words(out), f"not shown whole at 80 columns: {slugs - words(out)}"


def test_a_table_wraps_text_and_puts_what_does_not_fit_below_each_row(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "60")
    rows = [{"slug": "a-very-long-outcome-slug-that-is-not-short", "kind": "people",
             "description": "Two police community support officers for the three hotspot wards",
             "extra": "firm", "more": "yes"}]
    table(rows, [("slug", "slug"), ("kind", "kind"), ("description", "description"),
                 ("extra", "how sure"), ("more", "additional")])
    out = capsys.readouterr().out
    assert not too_wide(out.replace("\n", "\n")) and max(map(len, out.splitlines())) <= 60
    assert "a-very-long-outcome-slug-that-is-not-short" in out        # the slug whole
    assert "Two police community" in out and "hotspot wards" in out   # the text wrapped, all of it
    # what does not fit goes below its row, indented, as "header: value"
    assert re.search(r"^ {4}\S", out, re.M) and "how sure: firm" in out


def test_wrap_never_breaks_a_slug_or_at_a_hyphen(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    lines = wrap("say which need it meets with partnership contribution update 12 "
                 "--meets fewer-young-people-exploited-in-the-district", indent="    ")
    assert "fewer-young-people-exploited-in-the-district" in [w for line in lines for w in line.split()]
    assert all(len(line) <= 40 for line in lines if " " in line.strip())


def test_check_lines_are_wrapped_with_their_advice_indented(demo_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_TODAY", "2026-12-02")
    _, out, _ = at_80("check", db=demo_path)
    assert not too_wide(out)
    assert re.search(r"^\[(problem|warning|info)\] step \d ", out, re.M)
    assert re.search(r"^ {4}what to do: ", out, re.M)
    assert re.search(r"^\d+ findings?, \d+ problems?\.$", out, re.M)


# -- help ----------------------------------------------------------------------------------------


def _groups(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _groups(command, path + (name,))
    return found


def _leaves(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found += _leaves(command, path + (name,)) if isinstance(command, click.Group) else [path + (name,)]
    return found


def test_every_command_list_fits_80_columns_without_cutting_a_description():
    runner = CliRunner()
    problems = []
    for path in _groups(cli):
        out = runner.invoke(cli, [*path, "--help"], terminal_width=WIDTH).stdout
        listing = out.split("Commands:", 1)[-1] if "Commands:" in out else ""
        problems += [f"{' '.join(path) or 'partnership'}: {line.strip()}" for line in listing.splitlines()
                     if line.rstrip().endswith("...")]
    assert not problems, ("write a first sentence that fits (about 55 characters):\n"
                          + "\n".join(problems))


@pytest.mark.slow
def test_every_commands_help_fits_80_columns():
    runner = CliRunner()
    wide = []
    for path in _groups(cli)[1:] + _leaves(cli):
        r = runner.invoke(cli, [*path, "--help"], terminal_width=WIDTH)
        assert r.exit_code == 0, (path, r.output)
        wide += [f"{' '.join(path)}: {line}" for line in too_wide(r.stdout)]
    assert not wide, "\n".join(wide)


# -- no database ------------------------------------------------------------------------------

#: commands that need no partnership database
NO_DATABASE_NEEDED = {("init",), ("demo",), ("plugins",), ("plugin", "new"), ("metadata",),
                      ("import",)}


def _dummy_args(command: click.Command) -> list[str]:
    args: list[str] = []
    for param in command.params:
        if isinstance(param, click.Argument) and param.required:
            value = "1" if isinstance(param.type, click.types.IntParamType) else "x-1"
            args += [value] * (param.nargs if param.nargs > 0 else 1)
        elif isinstance(param, click.Option) and param.required:
            args += [param.opts[0], "2026-01-01" if "date" in param.name else "x-1"]
    return args


def test_every_command_without_a_database_says_how_to_start_in_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    wrong = []
    for path in _leaves(cli):
        if any(path[: len(n)] == n for n in NO_DATABASE_NEEDED):
            continue
        command = cli
        for name in path:
            command = command.commands[name]  # type: ignore[attr-defined]
        r = runner.invoke(cli, [*path, *_dummy_args(command)])
        if r.exit_code == 2:  # refused before it looked for a database (a usage error)
            continue
        lines = r.stderr.strip().splitlines()
        if lines and lines[0].startswith("Error: no file at x-1"):  # it reads its file first
            continue
        if not (r.exit_code == 1 and len(lines) == 1 and "partnership init" in lines[0]
                and "partnership demo demo.db" in lines[0] and "Traceback" not in r.output):
            wrong.append(f"{' '.join(path)}: exit {r.exit_code}: {r.output.strip()[-200:]}")
    assert not wrong, "\n".join(wrong)
    assert list(tmp_path.iterdir()) == [], "a command created something"


def test_a_missing_db_given_by_name_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["--db", "lancs.db", "status"])
    assert r.exit_code == 1
    assert r.stderr.strip() == ("Error: no partnership database at lancs.db; check the --db path (or "
                                "PARTNERSHIP_DB), or create it with 'partnership --db lancs.db init NAME'")


# -- words, numbers, money, streams -------------------------------------------------------------


def test_plural():
    assert plural(1, "person", "people") == "1 person"
    assert plural(3, "person", "people") == "3 people"
    assert plural(0, "finding") == "0 findings"
    assert plural(1.5, "person-hour") == "1.5 person-hours"
    assert plural(1.0, "person-hour") == "1 person-hour"


def _meeting(run, minutes: int = 60) -> None:
    run("partner", "add", "police", "--name", "Police")
    run("partner", "add", "council", "--name", "Council")
    run("person", "add", "jo", "--name", "Jo", "--partner", "police")
    run("person", "add", "sam", "--name", "Sam", "--partner", "council")
    run("outcome", "add", "safer", "--title", "People are safer")
    run("meeting", "propose", "board", "--date", "2030-02-10", "--minutes", str(minutes),
        "--invite", "jo,sam")
    run("agenda", "pitch", "board", "Agree the split", "--kind", "decision", "--outcome", "safer",
        "--needs", "jo")


def test_meeting_money_has_the_partnerships_currency(run):
    assert run("init", "Test", "--currency", "eur").exit_code == 0
    _meeting(run)
    r = run("meeting", "check", "board", "--hourly-rate", "45")
    # one item and one invitee to drop: the words agree with the numbers
    assert "drop 1 invitee; 2 invitees x 60 min = 2 person-hours (€90.00 at €45.00 an hour)" in r.stdout
    assert "Cost at €45.00 an hour: €90.00 as proposed, €45.00 after, €45.00 saved." in r.stdout
    r = run("meeting", "check", "board", "--hourly-rate", "45", "--currency", "chf", "--json")
    assert '"currency": "CHF"' in r.stdout and '"cost": 90.0' in r.stdout
    r = run("meeting", "check", "board", "--hourly-rate", "45", "--currency", "pounds")
    assert r.exit_code == 1 and r.stderr.count("\n") == 1 and "three-letter code" in r.stderr
    assert run("about", "--currency", "GBP").exit_code == 0
    assert "£90.00" in run("meeting", "check", "board", "--hourly-rate", "45").stdout
    assert re.search(r"^currency +GBP$", run("about").stdout, re.M)


def test_an_old_file_gets_the_default_currency(p, db_path):
    assert p.info().currency == "GBP"
    p.update_info(currency=" usd ")
    assert p.info().currency == "USD"
    with pytest.raises(Exception, match="three-letter code"):
        p.update_info(currency="dollars")


def test_confirmations_go_to_stderr_before_what_the_command_shows(run):
    assert run("init", "Test").stderr.startswith("created 'Test'")
    _meeting(run)
    for person, partner in (("ann", "council"), ("lee", "police")):
        run("person", "add", person, "--name", person.title(), "--partner", partner)
    run("pairs", "join", "jo", "sam", "ann")
    r = run("pairs", "draw", "--round", "2026-03", "--seed", "7")
    assert r.stderr.startswith("saved round 2026-03")
    assert r.stdout.startswith("Round 2026-03 (seed 7): 3 people in 1 group")
    assert "saved round" not in r.stdout


def test_assess_show_explains_divergence_and_never_leaves_it_blank(demo_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_TODAY", "2026-12-02")
    _, out, _ = at_80("assess", "show", db=demo_path)
    rows = [line for line in out.splitlines() if re.match(r"\d{4}-\d{2}\s", line)]
    assert rows and all(line.split()[-1] in ("round", "widening", "narrowing", "steady", "scores")
                        for line in rows), rows
    assert "first round" in out
    assert "Divergence: whether members' views" in out


# -- advice that fits the problem -------------------------------------------------------------


def test_a_contribution_in_the_wrong_unit_is_told_to_fix_its_unit(small):
    small.gaps.add_need(outcome="fewer-repeat-asb", slug="youth-outreach", kind="people", amount=3,
                        unit="FTE", essential=True)
    c = small.contributions.add(outcome="fewer-repeat-asb", partner="lancs-council", kind="people",
                                description="Youth workers", amount=40, unit="hours",
                                meets="youth-outreach")
    found = [f for f in small.check() if f.rule == "unmatched-contribution"
             and f.subject == f"contribution {c.id}"]
    assert len(found) == 1
    assert "--unit FTE" in found[0].advice and f"contribution update {c.id}" in found[0].advice
    assert "--meets" not in found[0].advice
    # one that names no need is still told to name one
    other = small.contributions.add(outcome="fewer-repeat-asb", partner="lancs-council", kind="data",
                                    description="Data")
    advice = [f.advice for f in small.check() if f.subject == f"contribution {other.id}"]
    assert advice and "--meets NEED" in advice[0]


# -- partnership.testing --------------------------------------------------------------------------


def test_series_from_values():
    from partnership.testing import series

    s = series([398, 390, 371])
    assert s.values == [398.0, 390.0, 371.0]
    assert s.dates == [dt.date(2025, 4, 1), dt.date(2025, 7, 1), dt.date(2025, 10, 1)]
    assert s.today == dt.date(2025, 10, 2) and s.latest == (dt.date(2025, 10, 1), 371.0)
    up = series([1, 2], dates=["2026-01-31", "2026-02-28"], direction="up", baseline=0, target=10)
    assert up.indicator.direction.value == "up" and up.tail(1) == [(dt.date(2026, 2, 28), 2.0)]
    with pytest.raises(ValueError, match="2 values but 1 dates"):
        series([1, 2], dates=["2026-01-31"])
    with pytest.raises(Exception, match="target_date"):
        series([1], target_date="2024-01-01")


def test_a_small_partnership_runs_a_plugin_the_way_the_command_does(tmp_path):
    import types

    from partnership import Check, Finding, Metric, hookimpl
    from partnership.testing import (
        INDICATOR,
        findings,
        metric_values,
        small_partnership,
        temporary_partnership,
    )

    plugin = types.ModuleType("first_hour_plugin")

    @hookimpl
    def register_metrics(register):
        register(Metric(name="twice", description="Twice the latest.", unit="",
                        compute=lambda s: s.latest[1] * 2 if s.latest else None))
        register(Metric(name="broken", description="Always fails.", compute=lambda s: 1 / 0))

    @hookimpl
    def register_checks(register):
        register(Check(name="always", description="Always one finding.", step=4,
                       run=lambda view: [Finding(rule="always", subject="outcome x", message="m",
                                                 advice="a", severity="info", step=4)]))

    plugin.register_metrics = register_metrics  # type: ignore[attr-defined]
    plugin.register_checks = register_checks  # type: ignore[attr-defined]
    with small_partnership(tmp_path / "p.db", plugins=[plugin], values=[398, 390]) as p:
        assert [o.slug for o in p.outcomes.list()] == ["fewer-repeat-asb"]
        assert len(p.stakes.list()) == 2 and p.outcomes.get("fewer-repeat-asb").status.value == "agreed"
        assert metric_values(p, "twice") == {INDICATOR: 780}
        with pytest.raises(AssertionError, match="broken"):
            metric_values(p, "broken")
        assert [f.rule for f in findings(p, "always")] == ["always"]
    assert (tmp_path / "p.db").exists()
    with temporary_partnership(values=[]) as p:
        folder = Path(p.store.path).parent
        assert metric_values(p, "latest") == {}
    assert not folder.exists()


def test_plugins_verbose_gives_each_metrics_scope_unit_and_what_it_returns(tmp_path, monkeypatch):
    root = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    r = runner.invoke(cli, ["--plugins-dir", str(root / "plugins"), "plugins", "--verbose"],
                      env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    assert not too_wide(r.stdout)
    text = " ".join(r.stdout.split())
    assert "metric rolling-average:" in text
    assert "scope: indicator; unit: same as indicator; returns: ``{date: mean of the WINDOW" in text
    assert "scope: partnership; unit: %; returns: Percent of indicators" in text
    assert "scope: indicator; unit: %; returns: one value per indicator" in text  # progress
    assert "step 4 of the method" in text
    data = runner.invoke(cli, ["--plugins-dir", str(root / "plugins"), "plugins", "--verbose",
                               "--json"]).stdout
    import json

    metrics = {m["name"]: m for row in json.loads(data) for m in row["adds"].get("metrics", [])}
    assert metrics["better-off-share"]["scope"] == "partnership" and metrics["progress"]["unit"] == "%"
    plain = json.loads(runner.invoke(cli, ["plugins", "--json"]).stdout)
    assert all("scope" not in m for row in plain for m in row["adds"].get("metrics", []))


def test_a_command_to_copy_is_broken_only_between_arguments(monkeypatch, capsys):
    from partnership.cli.output import echo_command

    monkeypatch.setenv("COLUMNS", "50")
    command = 'partnership update post county-police "Police quarterly figures" --outcome fewer-repeat-asb'
    echo_command(command, indent="  ")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) > 1 and all(len(line) <= 50 for line in lines)
    assert all(line.endswith(" \\") for line in lines[:-1])
    import shlex

    joined = " ".join(line.removesuffix(" \\").strip() for line in lines)
    assert shlex.split(joined) == shlex.split(command)
    echo_command("partnership status", indent="  ")
    assert capsys.readouterr().out == "  partnership status\n"
