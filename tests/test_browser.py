"""The served demo in a real headless Chromium: outcomes, a chart, the ledger, a screenshot."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server stopped: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the server did not start within {seconds} s")


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--window-size=1280,2400", *args],
        capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def served_demo(_demo_template, tmp_path_factory, isolated_environment):
    """The demo served by ``partnership serve``, one server for this module's tests that
    only read pages (starting one costs over a second of CPU: it publishes first)."""
    demo = tmp_path_factory.mktemp("served") / "demo.db"
    shutil.copyfile(_demo_template, demo)
    port = free_port()
    with isolated_environment():
        proc = subprocess.Popen(
            [sys.executable, "-c", "from partnership.cli import main; main()",
             "--db", str(demo), "serve", "--port", str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(port, proc)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_home_page_in_a_real_browser(served_demo, tmp_path):
    dom = chromium("--dump-dom", served_demo, profile=tmp_path / "profile-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert 'id="outcomes"' in html
    assert "Fewer residents suffer repeated anti-social behaviour" in html
    assert "<svg" in html and ("<rect" in html or "<polyline" in html)
    assert 'id="ledger"' in html and "Who keeps their promises?" in html
    assert 'class="plain ledger"' in html and "Northshire Constabulary" in html
    # one chart per indicator, drawn as SVG, with the story behind the curve beside it
    charts = html[html.index('id="charts"'):html.index('id="who-does-what"')]
    assert charts.count("<svg") == 6 and charts.count("<polyline") == 6
    assert "The story behind the curve" in charts
    shot = tmp_path / "home.png"
    result = chromium(f"--screenshot={shot}", served_demo, profile=tmp_path / "profile-shot")
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    keep = os.environ.get("PARTNERSHIP_SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, Path(keep) / "home.png")


def test_pages_work_under_the_content_security_policy(served_demo, tmp_path):
    """With the site's CSP (no inline script), Datasette's scripts still run in a real
    browser and nothing on the pages is blocked."""
    import urllib.request

    with urllib.request.urlopen(served_demo + "public/partners", timeout=30) as r:
        csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    pages = {
        "": 'id="outcomes"',
        "public/partners": 'class="dropdown-menu"',  # table.js built the column menus
        "public?sql=select+*+from+partners": 'class="CodeMirror',  # the SQL editor started
        "public/indicators/repeat-victims": "repeat-victims",
    }
    for n, (path, proof) in enumerate(pages.items()):
        result = chromium("--enable-logging=stderr", "--v=0", "--dump-dom", served_demo + path,
                          profile=tmp_path / f"profile-csp-{n}")
        assert result.returncode == 0, result.stderr[-2000:]
        assert proof in result.stdout, path
        blocked = [line for line in result.stderr.splitlines()
                   if "Content Security Policy" in line or "Refused to" in line]
        assert blocked == [], (path, blocked)


# -- the whole truth, on a desktop and on a phone ------------------------------------------

#: every element's box (and every run of text) that reaches past the right edge of the
#: viewport, or starts left of it: what makes a phone scroll sideways
OVERFLOW_JS = """() => {
  const w = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if ((r.width || r.height) && (r.right > w + 1 || r.left < -1))
      out.push(el.tagName + '.' + el.className + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
  }
  const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = texts.nextNode(); n; n = texts.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(n);
    const r = range.getBoundingClientRect();
    if (r.width && r.right > w + 1)
      out.push('text in ' + n.parentElement.tagName + ': ' + n.textContent.trim().slice(0, 30));
  }
  return {width: w, scrollWidth: document.documentElement.scrollWidth, wider: out};
}"""


@pytest.fixture
def served_truth(demo_path, tmp_path):
    """The demo with an indicator whose only figure is eight months old, served."""
    from test_public_truth import add_stale_indicator

    import partnership

    with partnership.open(demo_path) as p:
        seen, stale = add_stale_indicator(p, months=8)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from partnership.cli import main; main()",
         "--db", str(demo_path), "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(port, proc)
        yield f"http://127.0.0.1:{port}/", seen, stale
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_the_home_page_tells_the_whole_truth_on_a_desktop_and_a_phone(served_truth, tmp_path):
    """Playwright drives Debian's Chromium (no browser download): the public status words,
    the stale date and what the checks say are on the page; at 1280 and at 390 pixels
    wide no element is wider than the viewport; both are kept as screenshots."""
    sync_api = pytest.importorskip("playwright.sync_api")
    url, seen, stale = served_truth
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            for name, width in (("desktop", 1280), ("phone", 390)):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.set_default_timeout(30_000)
                page.goto(url)
                outcomes = page.inner_text("#outcomes")
                for word in ("on track", "at risk", "not measured", "needs a rethink"):
                    assert word in outcomes, (name, word)
                assert "Nobody can tell how it is going" in outcomes
                assert "Resources: missing an essential need nobody can meet" in outcomes
                assert f"latest figure {seen}" in outcomes and f"stale since {stale}" in outcomes
                findings = page.inner_text("#findings")
                assert "What the checks say" in findings and "collaboration killer" in findings
                assert "problems" in findings and "warnings" in findings
                assert "outcomes, 6 shared" in page.inner_text(".cards")
                layout = page.evaluate(OVERFLOW_JS)
                assert layout["width"] == width
                assert layout["wider"] == [], (name, layout["wider"][:10])
                assert layout["scrollWidth"] <= width, (name, layout)
                shot = tmp_path / f"home-{name}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
                page.close()
        finally:
            browser.close()
    readme_shot = Path(__file__).resolve().parent.parent / "docs" / "home.png"
    if not readme_shot.exists():
        shutil.copy(tmp_path / "home-desktop.png", readme_shot)
    keep = os.environ.get("PARTNERSHIP_SCREENSHOT_DIR")
    if keep:
        for name in ("desktop", "phone"):
            shutil.copy(tmp_path / f"home-{name}.png", Path(keep) / f"home-{name}.png")
