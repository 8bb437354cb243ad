"""Metric plugins: the example plugins, both discovery routes, and plugins that misbehave."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest
from plugin_files import plugin_dir

import partnership
from partnership.errors import PluginError
from partnership.metrics import Series, collect_metrics
from partnership.plugins import get_plugin_manager, load_plugin_file

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "plugins"


@pytest.fixture
def m(small, db_path):
    """``small`` with two indicators and five quarters of observations."""
    small._clock = lambda: dt.date(2026, 11, 1)
    small.measure.add_indicator(
        "repeat-victims", outcome="fewer-repeat-asb", unit="people", direction="down",
        baseline=412, baseline_date="2025-04-01", target=330, target_date="2027-03-31")
    small.measure.add_indicator(
        "feel-safe", outcome="fewer-repeat-asb", unit="%", direction="up",
        baseline=50, baseline_date="2025-04-01", target=60, target_date="2027-03-31")
    for date, value in [("2025-07-01", 400), ("2025-10-01", 390), ("2026-01-01", 384),
                        ("2026-04-01", 378), ("2026-07-01", 370)]:
        small.measure.observe("repeat-victims", value, date=date)
    small.measure.observe("feel-safe", 48, date="2025-07-01")
    return small


def with_plugins(p, directory):
    """Reopen ``p``'s database with a plugins directory."""
    return partnership.open(p.store.path, plugins_dir=directory, clock=p._clock)


# -- the example plugins -------------------------------------------------------------------------

def test_rolling_average_example(m):
    module = load_plugin_file(EXAMPLES / "rolling_average.py")
    s = Series(m.measure.indicators.get("repeat-victims"),
               [o.date for o in m.measure.series("repeat-victims")],
               [o.value for o in m.measure.series("repeat-victims")], dt.date(2026, 11, 1))
    # (400+390+384+378)/4 = 388, (390+384+378+370)/4 = 380.5
    assert module.rolling_average(s) == {"2026-04-01": 388.0, "2026-07-01": 380.5}
    assert module.rolling_average(Series(s.indicator, s.dates[:3], s.values[:3], s.today)) is None


def test_example_plugins_through_plugins_dir(m):
    with with_plugins(m, EXAMPLES) as p:
        result = p.measure.refresh()
        assert not result.problems
        values = {(r["metric"], r["period"]): r["value"] for r in p.measure.metric_values("repeat-victims")}
        assert values[("rolling-average", "2026-07-01")] == 380.5
        status = p.measure.status()
    # repeat-victims 370 < 412 (better, down); feel-safe 48 < 50 (worse, up): 50%
    assert [{k: m[k] for k in ("metric", "period", "value", "stale")}
            for m in status["partnership_metrics"]] == [
        {"metric": "better-off-share", "period": "2026-11-01", "value": 50.0, "stale": False}]


def test_better_off_share_example_with_no_figures(p):
    module = load_plugin_file(EXAMPLES / "better_off_share.py")
    from partnership.readonly import ReadOnlyView

    assert module.better_off_share(ReadOnlyView(p.store.conn, dt.date(2026, 1, 1))) is None


def test_headline_metric_from_a_plugin(m, run, db_path):
    with with_plugins(m, EXAMPLES) as p:
        p.measure.update_indicator("repeat-victims", metric="rolling-average")
        ind = p.measure.status()["outcomes"][0]["indicators"][1]
        assert ind["indicator"] == "repeat-victims" and ind["headline"] == 380.5
    with pytest.raises(partnership.NotFound, match="no metric 'rolling-average'"):
        m.measure.update_indicator("feel-safe", metric="rolling-average")  # not loaded here


def test_plugins_command_lists_metrics(m, run):
    m.close()
    rows = json.loads(run("--plugins-dir", str(EXAMPLES), "plugins", "--json").stdout)
    by_name = {r["name"]: r for r in rows}
    assert by_name["rolling_average"]["adds"]["metrics"][0]["name"] == "rolling-average"
    assert by_name["better_off_share"]["source"].endswith("better_off_share.py")
    out = run("--plugins-dir", str(EXAMPLES), "plugins").stdout
    assert "metric  rolling-average" in out


# -- entry points ----------------------------------------------------------------------------------

def test_entry_point_discovery(m, tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / "pship_doubled.py").write_text(textwrap.dedent("""
        from partnership import Metric, hookimpl

        @hookimpl
        def register_metrics(register):
            register(Metric(name="doubled", description="Twice the latest value.",
                            compute=lambda s: s.values[-1] * 2 if s.values else None))
    """))
    dist = site / "pship_doubled-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: pship-doubled\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[partnership]\ndoubled = pship_doubled\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PARTNERSHIP_LOAD_PLUGINS", "pship-doubled")
    pm = get_plugin_manager()
    metrics = {x.name: x for x in collect_metrics(pm)}
    assert metrics["doubled"].plugin == "doubled"
    from partnership.registry import Registry

    m.registry = Registry(pm)
    m.measure.refresh(force=True)
    values = dict((r["metric"], r["value"]) for r in m.measure.metric_values("repeat-victims"))
    assert values["doubled"] == 740
    monkeypatch.setenv("PARTNERSHIP_LOAD_PLUGINS", "")
    assert "doubled" not in {x.name for x in collect_metrics(get_plugin_manager())}


# -- plugins that misbehave ----------------------------------------------------------------------------

BAD = dict(
    raises="""
        from partnership import Metric, hookimpl

        def boom(series):
            raise RuntimeError("the spreadsheet moved")

        @hookimpl
        def register_metrics(register):
            register(Metric(name="boom", description="Raises.", compute=boom))
    """,
    wrong_type="""
        from partnership import Metric, hookimpl

        @hookimpl
        def register_metrics(register):
            register(Metric(name="wrong", description="Returns a list.",
                            compute=lambda series: [1, 2, 3]))
    """,
    hangs_sql="""
        from partnership import Metric, hookimpl

        FOREVER = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c"

        @hookimpl
        def register_metrics(register):
            register(Metric(name="forever-sql", description="An endless query.", scope="partnership",
                            compute=lambda view: view.scalar(FOREVER)))
    """,
    hangs_python="""
        import time
        from partnership import Metric, hookimpl

        def spin(series):
            end = time.monotonic() + 3
            while time.monotonic() < end:
                time.sleep(0.01)
            return 1

        @hookimpl
        def register_metrics(register):
            register(Metric(name="spin", description="A slow loop.", compute=spin))
    """,
    writes="""
        from partnership import Metric, hookimpl

        @hookimpl
        def register_metrics(register):
            register(Metric(name="vandal", description="Tries to delete.", scope="partnership",
                            compute=lambda view: view.query("DELETE FROM observations")))
    """,
)


@pytest.mark.slow
def test_misbehaving_plugins_are_reported_by_name_and_the_rest_compute(m, tmp_path, run, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_PLUGIN_TIME_LIMIT", "0.5")
    directory = plugin_dir(tmp_path, **BAD)
    with with_plugins(m, directory) as p:
        result = p.measure.refresh(time_limit=0.5)
        problems = {r.metric: (r.plugin, r.error) for r in result.problems}
        assert problems["boom"] == ("raises", "RuntimeError: the spreadsheet moved")
        assert problems["wrong"][0] == "wrong_type" and "not a number" in problems["wrong"][1]
        assert problems["forever-sql"][0] == "hangs_sql"
        assert "took longer than 0.5 s" in problems["forever-sql"][1]
        assert problems["spin"][0] == "hangs_python" and "took longer" in problems["spin"][1]
        assert problems["vandal"][0] == "writes"
        assert len(p.measure.series("repeat-victims")) == 5  # nothing deleted
        status = p.measure.status(refresh=False)
        assert {x["metric"] for x in status["metric_problems"]} == set(problems)
        ind = status["outcomes"][0]["indicators"][1]
        assert ind["status"] is not None and ind["latest"] == 370  # built-ins still computed
    m.close()
    r = run("--plugins-dir", str(directory), "plugins", "--json")
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert rows["raises"]["problems"][0]["error"] == "RuntimeError: the spreadsheet moved"
    assert "FAILED  metric boom" in run("--plugins-dir", str(directory), "plugins").stdout
    r = run("--plugins-dir", str(directory), "status")
    assert r.exit_code == 0
    assert "metric 'boom' from plugin 'raises' failed" in r.stderr


def test_syntax_error_in_plugin_file(m, tmp_path, run, db_path, unchanged):
    directory = plugin_dir(tmp_path, broken="def register_metrics(register)\n    pass\n")
    m.close()
    with unchanged(db_path):
        r = run("--plugins-dir", str(directory), "status")
    assert r.exit_code == 1
    assert "broken.py has a syntax error at line 1" in r.stderr


def test_metric_name_clash(m, tmp_path, run, db_path, unchanged):
    directory = plugin_dir(tmp_path, clash="""
        from partnership import Metric, hookimpl

        @hookimpl
        def register_metrics(register):
            register(Metric(name="latest", description="Mine.", compute=lambda s: 1))
    """)
    m.close()
    with unchanged(db_path):
        r = run("--plugins-dir", str(directory), "refresh")
    assert r.exit_code == 1
    assert ("metric 'latest' from plugin 'clash' clashes with the one from 'partnership.measurement'"
            in r.stderr)


def test_registering_something_else_or_a_bad_metric(tmp_path):
    directory = plugin_dir(tmp_path, notmetric="""
        from partnership import hookimpl

        @hookimpl
        def register_metrics(register):
            register({"name": "x"})
    """)
    with pytest.raises(PluginError, match="plugin 'notmetric' registered .* not a partnership.Metric"):
        collect_metrics(get_plugin_manager(directory))
    (directory / "notmetric.py").unlink()
    (directory / "badname.py").write_text(textwrap.dedent("""
        from partnership import Metric, hookimpl

        @hookimpl
        def register_metrics(register):
            register(Metric(name="Bad Name", description="x", compute=len))
    """))
    with pytest.raises(PluginError, match="plugin 'badname' failed while registering metrics"):
        collect_metrics(get_plugin_manager(directory))


# -- the plugin guide ----------------------------------------------------------------------------------

def test_plugin_guide_example_works_as_written(m, tmp_path):
    """The first plugin of docs/plugins.md, copied as a reader would, loads and computes."""
    import re

    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", guide, re.S)
    directory = plugin_dir(tmp_path, latest_doubled=blocks[0])
    with with_plugins(m, directory) as p:
        result = p.measure.refresh(force=True)
        assert not result.problems
        values = {r["metric"]: r["value"] for r in p.measure.metric_values("repeat-victims")}
    assert values["doubled"] == 740  # 370 * 2
    # the package route declares its entry point in the 'partnership' group
    assert "[project.entry-points.partnership]" in guide


def test_plugin_guide_check_works_as_written(m, tmp_path):
    """The check of docs/plugins.md section 7, copied as a reader would, finds what it says."""
    import re

    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```python\n(.*?)```", guide, re.S) if "register_checks" in b)
    directory = plugin_dir(tmp_path, no_lead=block)
    m.outcomes.update("fewer-repeat-asb", status="agreed")
    with with_plugins(m, directory) as p:
        found = [f for f in p.check() if f.check == "no-activity"]
        assert [(f.subject, f.severity.value, f.step, f.plugin) for f in found] == [
            ("outcome fewer-repeat-asb", "warning", 4, "no_lead")]
        p.measure.add_activity("patrols", outcomes=["fewer-repeat-asb"], partner="lancs-police")
        assert not [f for f in p.check() if f.check == "no-activity"]
