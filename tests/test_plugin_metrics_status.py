"""Plugin metrics in plain sight: per indicator in ``status`` and ``status --json``, from a
plugin installed as a package-like object and from ``--plugins-dir``; a plugin whose
version or file changes marks its figures stale; ``status`` reads stored figures only."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
import types
from pathlib import Path

import pytest
from click.testing import CliRunner
from plugin_files import plugin_dir

import partnership
from partnership import Metric, hookimpl
from partnership.cli import make_cli

TODAY = dt.date(2026, 11, 1)

RATIO = """
    from partnership import Metric, hookimpl

    def share_of_baseline(series):
        latest = series.latest
        return None if latest is None else round(latest[1] / series.indicator.baseline * 100, 1)

    @hookimpl
    def register_metrics(register):
        register(Metric(name="share-of-baseline", description="Latest as a share of the baseline.",
                        unit="%", compute=share_of_baseline))
"""


def package_like(version: str = "0.1.0", factor: float = 2.0) -> types.ModuleType:
    """A plugin as an installed package hands it over: a module with a version and a hook."""
    module = types.ModuleType("partnership_trebled")
    module.__version__ = version  # type: ignore[attr-defined]

    @hookimpl
    def register_metrics(register):  # type: ignore[no-untyped-def]
        register(Metric(name="scaled", description="The latest value, scaled.", unit="people",
                        compute=lambda s: s.latest[1] * factor if s.latest else None))

    module.register_metrics = register_metrics  # type: ignore[attr-defined]
    return module


@pytest.fixture
def m(small):
    """``small`` with two indicators; only one has observations."""
    small._clock = lambda: TODAY
    small.measure.add_indicator(
        "repeat-victims", outcome="fewer-repeat-asb", unit="people", direction="down",
        baseline=400, baseline_date="2025-04-01", target=330, target_date="2027-03-31")
    small.measure.add_indicator(
        "feel-safe", outcome="fewer-repeat-asb", unit="%", direction="up",
        baseline=50, baseline_date="2025-04-01", target=60, target_date="2027-03-31")
    for date, value in [("2025-07-01", 390), ("2025-10-01", 380), ("2026-01-01", 370)]:
        small.measure.observe("repeat-victims", value, date=date)
    small.close()
    return small.store.path


def indicators(data):
    return {i["indicator"]: i for o in data["outcomes"] for i in o["indicators"]}


def test_status_shows_a_package_plugins_metric_per_indicator(m, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY.isoformat())
    with partnership.open(m, plugins=(package_like(),)) as p:
        data = p.measure.status()
    by = indicators(data)
    [scaled] = by["repeat-victims"]["metrics"]
    assert (scaled["metric"], scaled["plugin"], scaled["value"], scaled["period"], scaled["stale"]) == (
        "scaled", "partnership_trebled", 740.0, "2026-01-01", False)
    # an indicator the metric gives no figure for still lists it, with no value
    assert [(x["metric"], x["value"]) for x in by["feel-safe"]["metrics"]] == [("scaled", None)]
    # built-in metrics stay in their own columns, not in the plugin list
    assert by["repeat-victims"]["latest"] == 370

    cli = make_cli(plugins=(package_like(),))
    runner = CliRunner()
    out = runner.invoke(cli, ["--db", str(m), "status", "--json"], catch_exceptions=False)
    assert out.exit_code == 0, out.stderr
    shown = indicators(json.loads(out.stdout))
    assert shown["repeat-victims"]["metrics"][0]["value"] == 740.0
    text = runner.invoke(cli, ["--db", str(m), "status"], catch_exceptions=False).stdout
    assert "repeat-victims: scaled 740 (2026-01-01)" in text
    assert "feel-safe: scaled (no figure)" in text


def test_status_shows_a_plugins_dir_metric_per_indicator(m, tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY.isoformat())
    directory = plugin_dir(tmp_path, ratio=RATIO)
    runner = CliRunner()
    cli = make_cli()
    out = runner.invoke(cli, ["--db", str(m), "--plugins-dir", str(directory), "status", "--json"],
                        catch_exceptions=False)
    assert out.exit_code == 0 and out.stderr == ""
    entry = indicators(json.loads(out.stdout))["repeat-victims"]["metrics"][0]
    assert (entry["metric"], entry["plugin"], entry["unit"], entry["value"]) == (
        "share-of-baseline", "ratio", "%", 92.5)  # 370 / 400
    text = runner.invoke(cli, ["--db", str(m), "--plugins-dir", str(directory), "status"]).stdout
    assert "repeat-victims: share-of-baseline 92.5 (2026-01-01)" in text
    # without the plugin, no plugin metric is listed
    plain = runner.invoke(cli, ["--db", str(m), "status", "--json"]).stdout
    assert indicators(json.loads(plain))["repeat-victims"]["metrics"] == []


def test_a_new_package_version_marks_its_figures_stale(m, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY.isoformat())
    with partnership.open(m, plugins=(package_like("0.1.0"),)) as p:
        p.measure.refresh()
        assert p.measure.is_fresh()
    with partnership.open(m, plugins=(package_like("0.2.0", factor=3.0),)) as p:
        assert not p.measure.is_fresh()
        data = p.measure.status(refresh=False)  # as a read-only file or 'publish --no-refresh' sees it
        entry = indicators(data)["repeat-victims"]["metrics"][0]
        assert entry["stale"] and entry["value"] == 740.0
        assert "version 0.1.0 -> version 0.2.0" in entry["why_stale"]
        assert data["changed_plugins"] == [
            "metric 'scaled': plugin 'partnership_trebled' changed since its figures were computed "
            "(version 0.1.0 -> version 0.2.0); run 'partnership refresh'"]
        # status by default recomputes them with the new version
        entry = indicators(p.measure.status())["repeat-victims"]["metrics"][0]
        assert (entry["value"], entry["stale"]) == (1110.0, False)
        assert p.measure.is_fresh()


def test_an_installed_packages_version_is_its_fingerprint(m, tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / "pship_twice.py").write_text(textwrap.dedent("""
        from partnership import Metric, hookimpl

        @hookimpl
        def register_metrics(register):
            register(Metric(name="twice", description="Twice the latest value.",
                            compute=lambda s: s.latest[1] * 2 if s.latest else None))
    """))
    dist = site / "pship_twice-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: pship-twice\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[partnership]\ntwice = pship_twice\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PARTNERSHIP_LOAD_PLUGINS", "pship-twice")
    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY.isoformat())
    from partnership.plugins import get_plugin_manager, plugin_fingerprint

    assert plugin_fingerprint(get_plugin_manager(), "twice").startswith("package pship-twice 0.1 sha256:")
    with partnership.open(m, plugins_dir=plugin_dir(tmp_path)) as p:  # a fresh plugin manager
        p.measure.refresh()
        assert p.measure.is_fresh()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: pship-twice\nVersion: 0.2\n")
    with partnership.open(m, plugins_dir=plugin_dir(tmp_path)) as p:
        assert not p.measure.is_fresh()
        why = indicators(p.measure.status(refresh=False))["repeat-victims"]["metrics"][0]["why_stale"]
        assert "package pship-twice 0.1" in why and "package pship-twice 0.2" in why


def test_a_changed_plugin_file_marks_its_figures_stale(m, tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY.isoformat())
    directory = plugin_dir(tmp_path, ratio=RATIO)
    with partnership.open(m, plugins_dir=directory) as p:
        p.measure.refresh()
    with partnership.open(m, plugins_dir=directory) as p:
        assert p.measure.is_fresh()  # the same file: nothing to recompute
    (directory / "ratio.py").write_text(textwrap.dedent(RATIO).replace("* 100, 1)", "* 100, 2)"))
    with partnership.open(m, plugins_dir=directory) as p:
        assert not p.measure.is_fresh()
        entry = indicators(p.measure.status(refresh=False))["repeat-victims"]["metrics"][0]
        assert entry["stale"] and "plugin 'ratio' changed" in entry["why_stale"]
        # publishing without a refresh publishes them marked stale
        from partnership.metrics import for_publishing

        lines = for_publishing(p, refresh=False)
        assert lines and "plugin 'ratio' changed" in lines[0]
        row = p.store.query("SELECT stale, stale_since FROM metric_values "
                            "WHERE metric = 'share-of-baseline'")[0]
        assert row["stale"] == 1 and row["stale_since"]


def test_status_reads_stored_figures_not_the_observations(m, monkeypatch):
    """``status`` on fresh figures runs no statement over the observations (a full
    GROUP BY per call was the slow path at a million observations)."""
    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY.isoformat())
    with partnership.open(m, plugins=(package_like(),)) as p:
        p.measure.refresh()
        statements: list[str] = []
        p.store.conn.set_trace_callback(statements.append)
        try:
            data = p.measure.status()
        finally:
            p.store.conn.set_trace_callback(None)
    assert statements, "status ran no SQL at all"
    assert not [s for s in statements if "observations" in s.lower()], statements
    by = indicators(data)
    assert by["repeat-victims"]["latest_date"] == "2026-01-01"
    assert by["repeat-victims"]["next_due"] == "2026-04-03"  # quarterly: 92 days after the latest


def test_the_plugin_guide_states_the_limits_the_code_enforces():
    from partnership.metrics import PERIOD_MAX, RESULT_TYPES, SERIES_MAX, WORD_MAX

    root = Path(__file__).resolve().parent.parent
    guide = (root / "docs" / "plugins.md").read_text(encoding="utf-8")
    hooks = (root / "docs" / "hooks.md").read_text(encoding="utf-8")
    for doc in (guide, hooks):
        assert f"1 to {WORD_MAX} printable characters" in doc
        assert f"{SERIES_MAX:,} periods" in doc
        assert f"1 to {PERIOD_MAX} printable" in doc
    assert set(RESULT_TYPES) == {"nothing", "number", "word", "series"}
    for kind in RESULT_TYPES:
        assert f"| {kind} |" in guide
