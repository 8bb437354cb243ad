"""Step 4: indicators, activities, observations, stories, built-in metrics, status."""

from __future__ import annotations

import datetime as dt
import json

import pytest

import partnership
from partnership.errors import AlreadyExists, NotFound, ValidationError
from partnership.measurement import metrics as bm
from partnership.measurement.service import Indicator
from partnership.metrics import Series

TODAY = dt.date(2026, 11, 1)


@pytest.fixture
def m(small):
    """``small`` with a fixed clock and the issue's indicator."""
    small._clock = lambda: TODAY
    small.measure.add_indicator(
        "repeat-victims", outcome="fewer-repeat-asb", unit="people", direction="down",
        baseline=412, baseline_date="2025-04-01", target=330, target_date="2027-03-31")
    return small


def series(values, *, direction="down", baseline=100.0, target=80.0, pivot_after=3,
           start=dt.date(2025, 1, 1), end=dt.date(2026, 1, 1), dates=None) -> Series:
    ind = Indicator(slug="x", outcome="o", unit="n", direction=direction, baseline=baseline,
                    baseline_date=start, target=target, target_date=end, pivot_after=pivot_after)
    if dates is None:
        dates = [start + dt.timedelta(days=91 * (i + 1)) for i in range(len(values))]
    return Series(ind, list(dates), [float(v) for v in values], TODAY)


# -- built-in metrics against hand-worked figures ---------------------------------------------

def test_latest_and_progress():
    s = series([95, 90])
    assert bm.latest(s) == 90
    # (90 - 100) / (80 - 100) = 50%
    assert bm.progress(s) == 50.0
    assert bm.progress(series([105])) == -25.0  # the wrong way
    up = series([30], direction="up", baseline=20, target=60)
    assert bm.progress(up) == 25.0
    assert bm.latest(series([])) is None and bm.progress(series([])) is None


def test_status_projects_the_trend_to_the_target_date():
    start, end = dt.date(2025, 1, 1), dt.date(2026, 1, 1)  # 365 days
    half = dt.date(2025, 7, 2)  # day 182
    # line through (0, 100) and (182, 90): at day 365, 100 - 10 * 365/182 = 79.94 -> target 80 met
    assert bm.status(series([90], dates=[half], start=start, end=end)) == "on-track"
    # (0, 100), (182, 92): 100 - 8 * 365/182 = 83.96; share (100-83.96)/20 = 0.80 -> at risk
    assert bm.status(series([92], dates=[half], start=start, end=end)) == "at-risk"
    # (0, 100), (182, 93): 100 - 7 * 365/182 = 85.96; share 0.70 -> off track
    assert bm.status(series([93], dates=[half], start=start, end=end)) == "off-track"
    # three points: least squares through (0,100), (91,96), (182,90): slope -0.05495/day
    # intercept 100.33, at day 365: 80.27; share 0.986 -> at risk
    s = series([96, 90], dates=[dt.date(2025, 4, 2), half], start=start, end=end)
    assert bm.status(s) == "at-risk"
    # no observation after the baseline date: no status
    assert bm.status(series([90], dates=[start], start=start, end=end)) is None
    assert bm.status(series([])) is None


def test_status_thresholds():
    assert bm.classify(1.0) == "on-track"
    assert bm.classify(1.3) == "on-track"
    assert bm.classify(0.999) == "at-risk"
    assert bm.classify(0.75) == "at-risk"
    assert bm.classify(0.7499) == "off-track"
    assert bm.classify(-1) == "off-track"


def test_status_upward_indicator():
    s = series([55], direction="up", baseline=50, target=60, dates=[dt.date(2025, 7, 2)])
    # 50 + 5 * 365/182 = 60.03 -> on track
    assert bm.status(s) == "on-track"


def test_pivot_after_n_consecutive_off_track_observations():
    flat = series([100, 100, 100, 100])
    assert bm.statuses(flat) == ["off-track"] * 4
    assert bm.pivot(flat) == 1
    assert bm.pivot(series([100, 100], pivot_after=3)) == 0
    assert bm.pivot(series([100, 100], pivot_after=2)) == 1
    # a recovery breaks the run: the last observation is on track
    recovering = series([100, 100, 100, 60])
    assert bm.statuses(recovering)[-1] == "on-track"
    assert bm.pivot(recovering) == 0
    assert bm.off_track_run(series([90, 100, 101, 102])) == 3
    assert bm.pivot(series([])) is None


# -- indicators and activities ------------------------------------------------------------------

def test_indicator_add_and_validation(m):
    ind = m.measure.indicators.get("repeat-victims")
    assert ind.direction.value == "down" and ind.frequency.value == "quarterly"
    assert ind.metric == "progress" and ind.pivot_after == 3
    bad = dict(outcome="fewer-repeat-asb", unit="people", direction="down", baseline=412,
               baseline_date="2025-04-01", target=330, target_date="2027-03-31")
    with pytest.raises(ValidationError, match="target_date 2024-01-01 must be after baseline_date"):
        m.measure.add_indicator("x", **{**bad, "target_date": "2024-01-01"})
    with pytest.raises(ValidationError, match="must be below the baseline 412"):
        m.measure.add_indicator("x", **{**bad, "target": 500})
    with pytest.raises(ValidationError, match="baseline must be a number"):
        m.measure.add_indicator("x", **{**bad, "baseline": "lots"})
    with pytest.raises(NotFound, match="did you mean 'fewer-repeat-asb'"):
        m.measure.add_indicator("x", **{**bad, "outcome": "fewer-repeat"})
    with pytest.raises(NotFound, match="no metric 'nope'"):
        m.measure.add_indicator("x", **{**bad, "metric": "nope"})
    with pytest.raises(AlreadyExists):
        m.measure.add_indicator("repeat-victims", **bad)
    m.measure.update_indicator("repeat-victims", pivot_after=2, frequency="monthly")
    assert m.measure.indicators.get("repeat-victims").pivot_after == 2


def test_activity_serves_several_outcomes(m):
    m.outcomes.add(slug="safer-nights", title="People feel safe at night")
    a = m.measure.add_activity("hotspot-patrols", partner="lancs-police", status="running",
                               outcomes=["fewer-repeat-asb", "safer-nights"], start_date="2025-04-01")
    assert a.status.value == "running"
    rows = m.measure.activity_list(outcome="safer-nights")
    assert rows[0]["outcomes"] == ["fewer-repeat-asb", "safer-nights"]
    with pytest.raises(NotFound):
        m.measure.add_activity("x", partner="lancs-police", outcomes=["nope"])
    assert not m.measure.activities.exists("x")  # all or nothing
    with pytest.raises(ValidationError, match="end_date"):
        m.measure.add_activity("y", partner="lancs-police", outcomes="fewer-repeat-asb",
                               start_date="2025-04-01", end_date="2025-01-01")
    with pytest.raises(ValidationError, match="at least one outcome"):
        m.measure.add_activity("z", partner="lancs-police", outcomes=[])


def test_outcome_with_indicators_cannot_be_removed(m):
    with pytest.raises(partnership.Conflict, match="1 indicators"):
        m.outcomes.remove("fewer-repeat-asb")


# -- observations -----------------------------------------------------------------------------

def test_observe_and_its_bad_inputs(m):
    obs = m.measure.observe("repeat-victims", "398", date="2025-07-01", source="Police.uk quarterly")
    assert obs.value == 398.0
    assert m.measure.observe("repeat-victims", 390).date == TODAY  # dated today by default
    with pytest.raises(NotFound, match="did you mean 'repeat-victims'"):
        m.measure.observe("repeat-victim", 1, date="2025-07-01")
    with pytest.raises(ValidationError, match="value must be a number"):
        m.measure.observe("repeat-victims", "about 400", date="2025-08-01")
    with pytest.raises(ValidationError, match="date must be a date written YYYY-MM-DD"):
        m.measure.observe("repeat-victims", 1, date="01/07/2025")
    with pytest.raises(ValidationError, match="in the future"):
        m.measure.observe("repeat-victims", 1, date="2027-01-01")
    with pytest.raises(AlreadyExists, match="--replace"):
        m.measure.observe("repeat-victims", 1, date="2025-07-01")
    m.measure.observe("repeat-victims", 397, date="2025-07-01", replace=True)
    assert [o.value for o in m.measure.series("repeat-victims")] == [397.0, 390.0]


def test_story_behind_the_curve(m):
    m.measure.add_story("repeat-victims", "Caseworkers cut repeat calls", kind="works",
                        date="2025-08-01", author="jo-bloggs")
    notes = m.measure.story("repeat-victims")
    assert notes[0].kind.value == "works" and notes[0].author == "jo-bloggs"
    with pytest.raises(ValidationError, match="kind must be one of why, works, next"):
        m.measure.add_story("repeat-victims", "x", kind="because")
    m.measure.observe("repeat-victims", 398, date="2025-07-01")
    status = m.measure.status()
    ind = status["outcomes"][0]["indicators"][0]
    assert ind["story"][0]["text"] == "Caseworkers cut repeat calls"


# -- status, refresh, freshness --------------------------------------------------------------------

def test_status_reads_materialised_values(m):
    for date, value in [("2025-07-01", 398), ("2025-10-01", 380), ("2026-01-01", 371)]:
        m.measure.observe("repeat-victims", value, date=date)
    data = m.measure.status()
    outcome = data["outcomes"][0]
    ind = outcome["indicators"][0]
    assert ind["latest"] == 371 and ind["latest_date"] == "2026-01-01"
    assert ind["progress"] == 50.0  # (371 - 412) / (330 - 412)
    assert ind["status"] == "on-track" and ind["pivot"] is False
    assert ind["stale"] is True and ind["next_due"] == "2026-04-03"  # quarterly = 92 days
    assert outcome["status"] == "on-track" and outcome["stale"] == ["repeat-victims"]
    values = {r["metric"]: r["value"] for r in m.measure.metric_values("repeat-victims")}
    assert values == {"latest": 371.0, "progress": 50.0, "status": "on-track", "pivot": 0}
    assert m.measure.is_fresh()
    m.measure.observe("repeat-victims", 365, date="2026-04-01")
    assert not m.measure.is_fresh()
    assert m.measure.status()["outcomes"][0]["indicators"][0]["latest"] == 365


def test_stale_check(m):
    rules = {f.rule: f for f in m.check()}
    # no observation since the baseline (2025-04-01) + 92 days
    assert "no observation yet" in rules["stale-indicator"].message
    m.measure.observe("repeat-victims", 380, date="2026-10-01")
    assert "stale-indicator" not in {f.rule for f in m.check()}


def test_pivot_and_no_indicator_checks(m):
    m.outcomes.update("fewer-repeat-asb", status="agreed")
    m.outcomes.add(slug="safer-nights", title="People feel safe at night", status="agreed")
    for date in ("2025-07-01", "2025-10-01", "2026-01-01"):
        m.measure.observe("repeat-victims", 412, date=date)
    rules = {f.rule: f for f in m.check()}
    assert "time to pivot on fewer-repeat-asb" in rules["pivot"].message
    assert rules["no-indicators"].subject == "outcome safer-nights"


def test_demo_has_every_status(demo_path):
    with partnership.open(demo_path) as p:
        data = p.measure.status(refresh=False)  # the demo is built with its figures
        found = {i["indicator"]: (i["status"], i["pivot"])
                 for o in data["outcomes"] for i in o["indicators"]}
        assert len(p.measure.series("repeat-victims")) >= 8  # two years of quarters
    assert found["repeat-victims"] == ("on-track", False)
    assert found["feel-safe-at-night"] == ("at-risk", False)
    assert found["exploitation-referrals"] == ("off-track", True)


def test_export_includes_measurement(m):
    from partnership.exchange import export_data

    m.measure.observe("repeat-victims", 398, date="2025-07-01")
    data = export_data(m)
    assert data["indicators"][0]["slug"] == "repeat-victims"
    assert data["observations"][0]["value"] == 398.0


def test_public_registry():
    import partnership.measurement.service  # noqa: F401
    from partnership.plugins import default_registry

    PUBLIC_VIEWS = {d.name for d in default_registry().public if getattr(d, 'kind', '') == 'view'}
    public_tables = lambda: {d.name for d in default_registry().public  # noqa: E731
                             if getattr(d, 'copy', None) is not None}
    PUBLIC_TABLES = public_tables()

    assert "metric_values" in PUBLIC_TABLES
    assert {"indicator_status", "outcome_status"} <= set(PUBLIC_VIEWS)
    assert {"indicators", "observations", "story_notes", "activities"} <= set(public_tables())


# -- the command line -------------------------------------------------------------------------------

@pytest.fixture
def cli(small, run, monkeypatch):
    small.close()
    monkeypatch.setenv("PARTNERSHIP_TODAY", "2026-11-01")
    return run


def test_cli_walkthrough(cli):
    r = cli("indicator", "add", "repeat-victims", "--outcome", "fewer-repeat-asb", "--unit", "people",
            "--direction", "down", "--baseline", "412", "--baseline-date", "2025-04-01",
            "--target", "330", "--target-date", "2027-03-31", "--pivot-after", "2")
    assert r.exit_code == 0, r.output
    assert cli("activity", "add", "hotspot-patrols", "--outcome", "fewer-repeat-asb", "--partner",
               "lancs-police", "--status", "running").exit_code == 0
    assert cli("observe", "repeat-victims", "398", "--date", "2025-07-01", "--source",
               "Police.uk quarterly").exit_code == 0
    assert cli("story", "add", "repeat-victims", "Caseworkers help", "--kind", "works",
               "--date", "2025-07-02").exit_code == 0
    listed = json.loads(cli("indicator", "list", "--json").stdout)
    assert listed[0]["slug"] == "repeat-victims" and listed[0]["pivot_after"] == 2
    assert "repeat-victims" in cli("indicator", "list").stdout
    acts = json.loads(cli("activity", "list", "--json").stdout)
    assert acts[0]["outcomes"] == ["fewer-repeat-asb"]
    assert "hotspot-patrols" in cli("activity", "list").stdout
    shown = json.loads(cli("indicator", "show", "repeat-victims", "--json").stdout)
    assert shown["observations"][0]["value"] == 398 and shown["story"][0]["kind"] == "works"
    assert "Caseworkers help" in cli("indicator", "show", "repeat-victims").stdout
    assert cli("indicator", "update", "repeat-victims", "--title", "Repeat victims").exit_code == 0
    assert "Caseworkers" in cli("story", "list", "repeat-victims").stdout
    status = json.loads(cli("status", "--json").stdout)
    ind = status["outcomes"][0]["indicators"][0]
    assert ind["indicator"] == "repeat-victims" and ind["status"] in ("on-track", "at-risk", "off-track")
    out = cli("status").stdout
    assert "fewer-repeat-asb" in out and "398 people" in out
    refreshed = json.loads(cli("refresh", "--json").stdout)
    assert {r["metric"] for r in refreshed["metrics"]} == {"latest", "progress", "status", "pivot"}
    plugins = json.loads(cli("plugins", "--json").stdout)
    builtin = [r for r in plugins if r["name"] == "partnership.measurement"][0]
    assert {x["name"] for x in builtin["adds"]["metrics"]} == {"latest", "progress", "status", "pivot"}
    log = json.loads(cli("log", "--json").stdout)
    assert {"story note", "observation", "activity", "indicator"} <= {c["entity"] for c in log}


@pytest.mark.parametrize("args, message", [
    (("observe", "nope", "1", "--date", "2025-07-01"), "no indicator 'nope'"),
    (("observe", "repeat-victims", "lots", "--date", "2025-07-01"), "value must be a number"),
    (("observe", "repeat-victims", "1", "--date", "July"), "date must be a date written YYYY-MM-DD"),
    (("observe", "repeat-victims"), "give INDICATOR VALUE"),
    (("observe", "repeat-victims", "1", "--skip-bad"), "only go with --csv"),
    (("indicator", "add", "x", "--outcome", "fewer-repeat-asb", "--unit", "n", "--direction", "down",
      "--baseline", "10", "--baseline-date", "2025-04-01", "--target", "5",
      "--target-date", "2025-01-01"), "must be after baseline_date"),
    (("indicator", "add", "x", "--outcome", "fewer-repeat-asb", "--unit", "n", "--direction", "sideways",
      "--baseline", "10", "--baseline-date", "2025-04-01", "--target", "5",
      "--target-date", "2026-01-01"), "direction must be one of up, down"),
    (("activity", "add", "x", "--outcome", "nope", "--partner", "lancs-police"), "no outcome 'nope'"),
    (("story", "add", "nope", "text"), "no indicator 'nope'"),
    (("indicator", "show", "nope"), "no indicator 'nope'"),
    (("status", "--outcome", "nope"), "no outcome 'nope'"),
])
def test_cli_bad_input_leaves_db_unchanged(cli, db_path, unchanged, args, message):
    assert cli("indicator", "add", "repeat-victims", "--outcome", "fewer-repeat-asb", "--unit",
               "people", "--direction", "down", "--baseline", "412", "--baseline-date", "2025-04-01",
               "--target", "330", "--target-date", "2027-03-31").exit_code == 0
    with unchanged(db_path):
        r = cli(*args)
    assert r.exit_code != 0
    assert message in r.stderr
    assert "Traceback" not in r.output


def test_sql_sums_give_the_same_figures_as_the_series(m):
    from partnership.metrics import _indicators, load_series

    m.measure.observe("repeat-victims", 420, date="2025-01-01")  # before the baseline: not in the trend
    for date, value in [("2025-07-01", 405), ("2025-10-01", 404), ("2026-01-01", 401),
                        ("2026-04-01", 400), ("2026-07-01", 399)]:
        m.measure.observe("repeat-victims", value, date=date)
    assert _indicators(m) == [m.measure.indicators.get("repeat-victims")]
    fast = load_series(m, TODAY)[0]
    fast.view = partnership.ReadOnlyView(m.store.conn, TODAY)
    full = m.measure.series("repeat-victims")
    slow = Series(fast.indicator, [o.date for o in full], [o.value for o in full], TODAY)
    assert fast._sums is not None and slow._sums is None
    assert bm.trend_sums(fast) == pytest.approx(bm.trend_sums(slow))
    assert bm.trend_sums(fast)[0] == 5
    assert bm.latest(fast) == bm.latest(slow) == 399
    assert bm.status(fast) == bm.status(slow) == bm.statuses(slow)[-1] == "off-track"
    assert bm.pivot(fast) == bm.pivot(slow) == 1
    assert fast.tail(2) == slow.tail(2) == [(dt.date(2026, 4, 1), 400.0), (dt.date(2026, 7, 1), 399.0)]
    assert len(fast) == 6 and fast.dates[0] == dt.date(2025, 1, 1)  # loads on demand


def test_observation_sums_follow_every_kind_of_write(m, tmp_path):
    def kept():
        return m.store.conn.execute(
            "SELECT n, sd, sy, sdy, sdd FROM observation_sums WHERE indicator = 'repeat-victims'").fetchone()

    def recomputed():
        return m.store.conn.execute(
            "SELECT count(*), sum(day - 730000), total(value), total((day - 730000) * value), "
            "sum((day - 730000) * (day - 730000)) FROM observations WHERE indicator = 'repeat-victims'"
        ).fetchone()

    m.measure.observe("repeat-victims", 398, date="2025-07-01")
    m.measure.observe("repeat-victims", 390, date="2025-10-01")
    assert kept() == pytest.approx(recomputed())
    m.measure.observe("repeat-victims", 391, date="2025-10-01", replace=True)  # UPDATE
    assert kept() == pytest.approx(recomputed())
    (tmp_path / "o.csv").write_text("indicator,date,value\nrepeat-victims,2025-07-01,397\n"
                                    "repeat-victims,2026-01-01,380\n")
    m.measure.import_csv(tmp_path / "o.csv", replace=True)  # INSERT OR REPLACE
    assert kept() == pytest.approx(recomputed())
    assert kept()[0] == 3
    m.measure.observations.remove("repeat-victims", "2025-07-01")  # DELETE
    assert kept() == pytest.approx(recomputed())
