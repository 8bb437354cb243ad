"""A partner's day in a real browser: Playwright driving Debian's /usr/bin/chromium (no browser
download) through the inbox site, then the lead accepting from the CLI, the figure in
``status`` and on the public dashboard; the inbox server never had the working file open."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_inbox_site import TODAY, free_port, start, stop, working_file_open

import partnership
from partnership.cli import cli

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"),
]


@pytest.fixture
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield launched
        finally:
            launched.close()


def test_a_partner_reports_and_the_lead_accepts(demo_path, browser, monkeypatch, tmp_path):
    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY)
    with partnership.open(demo_path) as p:
        [commitment] = [c["ref"] for c in p.commitments.list(partner="county-police", status="open")][:1]
    site = start(demo_path)
    try:
        link = site.link("ben-clarke")
        page = browser.new_page()
        page.goto(link)
        assert "Northshire Constabulary: reporting to" in page.title()

        # a figure
        form = page.locator("#form-obs-repeat-victims")
        form.locator("input[name=value]").fill("301")
        form.locator("input[name=date]").fill("2026-10-15")
        form.locator("input[name=source]").fill("Police records")
        form.locator("button[value=send]").click()
        page.wait_for_selector("#sent")
        assert "Sent." in page.inner_text("#sent")
        assert "repeat-victims = 301 on 2026-10-15" in page.inner_text("#sent-list ~ table")

        # a commitment delivered
        form = page.locator(f"#form-deliver-{commitment}")
        form.locator("textarea[name=evidence]").fill("https://example.org/repeat-victim-profile")
        form.locator("input[name=delivered_on]").fill("2026-10-20")
        form.locator("button[value=send]").click()
        page.wait_for_selector("#sent")
        assert f"{commitment} delivered on 2026-10-20" in page.inner_text("#sent-list ~ table")

        # a bad figure: shown beside its field, nothing stored
        form = page.locator("#form-obs-exploitation-referrals")
        form.locator("input[name=value]").fill("about forty")
        form.locator("button[value=send]").click()
        error = page.locator("#obs-exploitation-referrals-value-error")
        error.wait_for()
        assert "must be a number" in error.inner_text()
        field_box = page.locator("#obs-exploitation-referrals-value").bounding_box()
        error_box = error.bounding_box()
        assert field_box and error_box and 0 <= error_box["y"] - field_box["y"] < 80  # right beside it
        assert page.locator("#obs-exploitation-referrals-value").input_value() == "about forty"
        page.screenshot(path=str(tmp_path / "inbox.png"), full_page=True)
        keep = os.environ.get("PARTNERSHIP_SCREENSHOT_DIR")
        if keep:
            (Path(keep) / "inbox.png").write_bytes((tmp_path / "inbox.png").read_bytes())
        assert working_file_open(site) == []
    finally:
        stop(site)

    runner = CliRunner()
    listed = json.loads(runner.invoke(cli, ["--db", str(demo_path), "inbox", "--json"],
                                      catch_exceptions=False).stdout)
    assert sorted(s["kind"] for s in listed) == ["commitment-delivered", "observation"]
    accepted = runner.invoke(cli, ["--db", str(demo_path), "inbox", "accept", "--all"],
                             catch_exceptions=False)
    assert accepted.exit_code == 0, accepted.output
    status = json.loads(runner.invoke(cli, ["--db", str(demo_path), "status", "--json"],
                                      catch_exceptions=False).stdout)
    [ind] = [i for o in status["outcomes"] for i in o["indicators"] if i["indicator"] == "repeat-victims"]
    assert (ind["latest"], ind["latest_date"]) == (301, "2026-10-15")

    # the public dashboard
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from partnership.cli import main; main()", "--db", str(demo_path),
         "serve", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PARTNERSHIP_TODAY": TODAY})
    try:
        from test_browser import wait_for

        wait_for(port, proc)
        home = browser.new_page()
        home.goto(f"http://127.0.0.1:{port}/")
        text = home.inner_text("body")
        assert "latest figure 2026-10-15" in text and "301" in text
        home.goto(f"http://127.0.0.1:{port}/public/reporting_freshness")
        assert "Northshire Constabulary" in home.inner_text("body")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
