"""Plugin metrics that fail: ``demo``, ``refresh`` and ``publish`` keep to the time limit,
say in one line on stderr which plugin, metric and indicator failed and the way out, and
keep the last good figures (marked stale) instead of wiping them; what a metric may
return is checked against its stated limits."""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
import textwrap
import time
import types

import pytest
from plugin_files import plugin_dir

import partnership
from partnership import Metric, hookimpl
from partnership.metrics import (
    PERIOD_MAX,
    SERIES_MAX,
    WORD_MAX,
    MetricResultError,
    normalise,
)

TODAY = dt.date(2026, 11, 1)

#: two metrics that sleep for a minute on every indicator, unless the stop file exists
#: (so the abandoned worker threads end when the test does)
SLEEPER = """
    import time
    from pathlib import Path
    from partnership import Metric, hookimpl

    STOP = Path({stop!r})

    def sleep_a_minute(series):
        end = time.monotonic() + 60
        while time.monotonic() < end and not STOP.exists():
            time.sleep(0.05)
        return 1

    @hookimpl
    def register_metrics(register):
        register(Metric(name="slow", description="Sleeps.", compute=sleep_a_minute))
        register(Metric(name="slower", description="Sleeps too.", compute=sleep_a_minute))
"""

#: a metric whose behaviour the test switches by rewriting the file
SWITCH = """
    from partnership import Metric, hookimpl

    def figure(series):
        if series.indicator.slug in {broken!r}:
            raise ValueError("the source spreadsheet moved")
        return series.latest[1] + 1 if series.latest else None

    @hookimpl
    def register_metrics(register):
        register(Metric(name="plus-one", description="The latest value plus one.", compute=figure))
"""


@pytest.fixture
def stop_file(tmp_path):
    stop = tmp_path / "stop-sleeping"
    yield stop
    stop.touch()  # the sleeping workers return within 0.05 s


@pytest.fixture
def sleeper(tmp_path, stop_file):
    return plugin_dir(tmp_path, sleeper=SLEEPER.format(stop=str(stop_file)))


@pytest.fixture
def m(small):
    small._clock = lambda: TODAY
    for slug, base in (("repeat-victims", 400), ("feel-safe", 50)):
        small.measure.add_indicator(
            slug, outcome="fewer-repeat-asb", unit="people", direction="down", baseline=base,
            baseline_date="2025-04-01", target=base * 0.8, target_date="2027-03-31")
        small.measure.observe(slug, base - 5, date="2025-07-01")
    small.close()
    return small.store.path


def failures(r):
    """The lines about failed metrics a command wrote on stderr (its confirmation aside)."""
    return [x for x in r.stderr.splitlines() if x.startswith("metric '")]


def values(path, metric):
    with sqlite3.connect(path) as conn:
        return {r[0]: r[1:] for r in conn.execute(
            "SELECT indicator, value, stale, computed_at, stale_since FROM metric_values "
            "WHERE metric = ?", [metric])}


# -- the time limit on every path ------------------------------------------------------------------

@pytest.mark.slow
def test_demo_with_a_plugin_sleeping_a_minute_keeps_to_the_time_limit(sleeper, tmp_path, run,
                                                                      monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_PLUGIN_TIME_LIMIT", "0.5")
    started = time.monotonic()
    r = run("--plugins-dir", str(sleeper), "demo", str(tmp_path / "demo.db"), db=False)
    elapsed = time.monotonic() - started
    assert r.exit_code == 0, r.stderr
    # one wait of the time limit for the plugin, not a minute per indicator and metric
    assert elapsed < 15, elapsed
    lines = failures(r)
    assert len(lines) == 2, lines  # one line per failed metric
    slow = next(x for x in lines if x.startswith("metric 'slow' "))
    assert slow.startswith("metric 'slow' from plugin 'sleeper' failed on indicator ")
    assert "took longer than 0.5 s and was stopped" in slow
    assert "raise PARTNERSHIP_PLUGIN_TIME_LIMIT" in slow
    assert f"fix {sleeper / 'sleeper.py'} or move it out of the plugins folder" in slow
    slower = next(x for x in lines if x.startswith("metric 'slower' "))
    assert "not run: this plugin's metric 'slow' ran past the time limit" in slower
    # the demo's figures were computed once, at the end: status needs no refresh
    with partnership.open(tmp_path / "demo.db", plugins_dir=sleeper) as p:
        assert p.measure.is_fresh()
        assert {x["metric"] for x in p.measure.status(refresh=False)["metric_problems"]} == {
            "slow", "slower"}


@pytest.mark.slow
def test_demo_library_reports_each_failure(tmp_path, monkeypatch, stop_file):
    """The same through the library, with a plugin handed over as an object."""
    monkeypatch.setenv("PARTNERSHIP_PLUGIN_TIME_LIMIT", "0.3")
    plugin = types.ModuleType("pship_sleepy")

    def sleepy(series):  # type: ignore[no-untyped-def]
        end = time.monotonic() + 60
        while time.monotonic() < end and not stop_file.exists():
            time.sleep(0.05)

    @hookimpl
    def register_metrics(register):  # type: ignore[no-untyped-def]
        register(Metric(name="sleepy", description="Sleeps.", compute=sleepy))

    plugin.register_metrics = register_metrics  # type: ignore[attr-defined]
    from partnership.demo import build

    lines: list[str] = []
    started = time.monotonic()
    build(tmp_path / "demo.db", plugins=(plugin,), on_problem=lines.append)
    assert time.monotonic() - started < 15
    assert len(lines) == 1 and lines[0].startswith("metric 'sleepy' from plugin 'pship_sleepy' failed on")
    assert "fix or remove the plugin 'pship_sleepy'" in lines[0]


@pytest.mark.slow
def test_refresh_and_publish_keep_to_the_time_limit(m, sleeper, tmp_path, run, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_PLUGIN_TIME_LIMIT", "0.5")
    run.db = m
    for args in (["refresh"], ["publish", str(tmp_path / "site" / "public.db")]):
        (tmp_path / "site").mkdir(exist_ok=True)
        started = time.monotonic()
        r = run("--plugins-dir", str(sleeper), *args)
        assert r.exit_code == 0, r.stderr
        assert time.monotonic() - started < 10
        lines = failures(r)
        assert [x.split(" failed")[0] for x in lines] == [
            "metric 'slow' from plugin 'sleeper'", "metric 'slower' from plugin 'sleeper'"], lines
        assert "on indicator feel-safe:" in lines[0]  # the first indicator, where it was stopped


# -- the last good figures are kept ------------------------------------------------------------------

def test_a_failing_metric_keeps_its_last_good_figures_and_publishes_them_stale(m, tmp_path, run,
                                                                            monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY.isoformat())
    directory = plugin_dir(tmp_path, switch=SWITCH.format(broken=[]))
    run.db = m
    target = tmp_path / "site" / "public.db"
    target.parent.mkdir()
    r = run("--plugins-dir", str(directory), "publish", str(target))
    assert r.exit_code == 0 and failures(r) == []
    good = values(m, "plus-one")
    assert {k: v[:2] for k, v in good.items()} == {"feel-safe": (46.0, 0), "repeat-victims": (396.0, 0)}

    # the plugin breaks on one indicator: a new observation would change both figures
    (directory / "switch.py").write_text(textwrap.dedent(SWITCH.format(broken=["repeat-victims"])))
    assert run("observe", "repeat-victims", "390", "--date", "2025-10-01").exit_code == 0
    assert run("observe", "feel-safe", "44", "--date", "2025-10-01").exit_code == 0
    r = run("--plugins-dir", str(directory), "publish", str(target))
    assert r.exit_code == 0
    [line] = failures(r)
    assert line == (
        "metric 'plus-one' from plugin 'switch' failed on indicator repeat-victims: ValueError: "
        f"the source spreadsheet moved; fix {directory / 'switch.py'} or move it out of the "
        "plugins folder; its last good figures are kept, marked stale (1 value)")
    now = values(m, "plus-one")
    assert now["feel-safe"][:2] == (45.0, 0)  # recomputed
    value, stale, computed_at, since = now["repeat-victims"]
    assert (value, stale, computed_at) == (396.0, 1, good["repeat-victims"][2]) and since
    with sqlite3.connect(target) as pub:
        published = dict(((r[0]), r[1:]) for r in pub.execute(
            "SELECT indicator, value, stale, computed_at FROM metric_values WHERE metric = 'plus-one'"))
    assert published["repeat-victims"] == (396.0, 1, computed_at)
    assert published["feel-safe"][:2] == (45.0, 0)

    # status shows it stale, and says why on stderr, in text and JSON alike
    for args in (["status"], ["status", "--json"]):
        r = run("--plugins-dir", str(directory), *args)
        assert r.exit_code == 0 and failures(r) == [line]
    data = json.loads(r.stdout)
    entry = next(i for o in data["outcomes"] for i in o["indicators"]
                 if i["indicator"] == "repeat-victims")["metrics"][0]
    assert entry["stale"] and entry["value"] == 396.0 and "last good figure" in entry["why_stale"]
    assert data["metric_problems"][0]["indicator"] == "repeat-victims"

    # a second failing refresh keeps the same figure and the first stale date
    assert run("--plugins-dir", str(directory), "refresh").exit_code == 0
    assert values(m, "plus-one")["repeat-victims"] == (396.0, 1, computed_at, since)
    # fixed: the figure is current again
    (directory / "switch.py").write_text(textwrap.dedent(SWITCH.format(broken=[])))
    r = run("--plugins-dir", str(directory), "refresh")
    assert r.exit_code == 0 and failures(r) == []
    assert values(m, "plus-one")["repeat-victims"][:2] == (391.0, 0)


def test_the_figures_of_a_removed_indicator_are_not_kept(m, tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY.isoformat())
    directory = plugin_dir(tmp_path, switch=SWITCH.format(broken=[]))
    with partnership.open(m, plugins_dir=directory) as p:
        p.measure.refresh()
        broken = SWITCH.format(broken=["repeat-victims", "feel-safe"])
        (directory / "switch.py").write_text(textwrap.dedent(broken))
    with partnership.open(m, plugins_dir=directory) as p:
        with p.store.transaction():
            p.store.conn.execute("DELETE FROM observations WHERE indicator = 'feel-safe'")
            p.store.conn.execute("DELETE FROM indicators WHERE slug = 'feel-safe'")
        result = p.measure.refresh()
        [run] = result.problems
        assert (run.indicator, run.failed, run.kept) == ("repeat-victims", 1, 1)
    assert set(values(m, "plus-one")) == {"repeat-victims"}


# -- what a metric may return ----------------------------------------------------------------------------

def test_the_result_types_and_their_limits():
    d = "2026-01-01"
    assert normalise(None, d) == []
    assert normalise(3, d) == [(d, 3)] and normalise(True, d) == [(d, 1)]
    assert normalise(2.5, d) == [(d, 2.5)]
    assert normalise("w" * WORD_MAX, d) == [(d, "w" * WORD_MAX)]
    assert normalise({dt.date(2026, 1, 1): 1, "2026-Q2": "up", "2026-07-01": None}, d) == [
        ("2026-01-01", 1), ("2026-Q2", "up")]
    assert len(normalise({f"p{i}": i for i in range(SERIES_MAX)}, d)) == SERIES_MAX
    refused = [
        ("w" * (WORD_MAX + 1), f"returned a word of {WORD_MAX + 1} characters"),
        ("", "returned an empty word"),
        ("two\nlines", "line break"),
        (math.nan, "must be finite"),
        (2**70, "too large to store"),
        ((1, 2), "not a number, a word"),
        ({"x" * (PERIOD_MAX + 1): 1}, f"a label of 1 to {PERIOD_MAX} printable characters"),
        ({1.5: 1}, "a period is a date"),
        ({f"p{i}": i for i in range(SERIES_MAX + 1)}, f"at most {SERIES_MAX:,}"),
    ]
    for result, message in refused:
        with pytest.raises(MetricResultError, match=message):
            normalise(result, d)


def test_a_too_long_word_is_a_failure_of_that_metric_on_that_indicator(m, tmp_path, run):
    directory = plugin_dir(tmp_path, wordy="""
        from partnership import Metric, hookimpl

        def verdict(series):
            if series.indicator.slug == "repeat-victims":
                return "going rather better than anyone had dared to hope in April"
            return "fine"

        @hookimpl
        def register_metrics(register):
            register(Metric(name="verdict", description="A word.", unit="word", compute=verdict))
    """)
    run.db = m
    r = run("--plugins-dir", str(directory), "refresh")
    assert r.exit_code == 0
    [line] = failures(r)
    assert line.startswith("metric 'verdict' from plugin 'wordy' failed on indicator repeat-victims: "
                           "returned a word of 58 characters")
    assert f"a word is at most {WORD_MAX} characters: shorten it, or return a number" in line
    assert values(m, "verdict") == {"feel-safe": ("fine", 0, values(m, "verdict")["feel-safe"][2], None)}
    # the built-ins computed for both
    assert set(values(m, "latest")) == {"feel-safe", "repeat-victims"}


def test_a_failing_partnership_metric_keeps_its_last_good_figure(m, tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY.isoformat())
    source = """
        from partnership import Metric, hookimpl

        def indicators(view):
            {body}

        @hookimpl
        def register_metrics(register):
            register(Metric(name="how-many", description="Indicators.", scope="partnership",
                            compute=indicators))
    """
    counting = source.format(body='return view.scalar("SELECT count(*) FROM indicators")')
    directory = plugin_dir(tmp_path, count=counting)
    with partnership.open(m, plugins_dir=directory) as p:
        assert not p.measure.refresh().problems
    (directory / "count.py").write_text(textwrap.dedent(source.format(body='return {"periods": [1]}')))
    with partnership.open(m, plugins_dir=directory) as p:
        [run] = p.measure.refresh().problems
        assert (run.indicator, run.kept) == ("", 1)
        assert run.message.startswith("metric 'how-many' from plugin 'count' failed: returned list")
        [figure] = p.measure.status()["partnership_metrics"]
    assert (figure["metric"], figure["value"], figure["stale"]) == ("how-many", 2, True)
    assert "last good figure" in figure["why_stale"]
