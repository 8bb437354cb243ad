"""The board pack: HTML with a print stylesheet, PDF through WeasyPrint, checked as a
reader sees them: the PDF's first page turned into a PNG (pdftoppm) and its text read
(pdftotext), the HTML opened in a real headless Chromium and screenshotted."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import partnership
from partnership.cli import cli

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]
STATUS_WORDS = ("on track", "at risk", "off track", "not measured", "needs a rethink")


def has_weasyprint() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


needs_pdf = pytest.mark.skipif(
    not has_weasyprint() or not shutil.which("pdftoppm") or not shutil.which("pdftotext"),
    reason="needs WeasyPrint (pip install '.[pdf]') and poppler-utils (pdftoppm, pdftotext)")


def flat(text: str) -> str:
    return " ".join(text.split())


def outcome_titles(path: Path) -> dict[str, str]:
    with partnership.open(path) as p:
        return {o.slug: o.title for o in p.outcomes.list()}


def test_first_section_has_every_verdict_and_the_rest_follows(demo_path):
    with partnership.open(demo_path) as p:
        html = p.report.render()
        from partnership.outcomes.status import outcome_statuses

        statuses = outcome_statuses(p)
    first = html[html.index('id="summary"'):html.index('class="page outcome"')]
    for view in statuses.values():
        row = first[first.index(f'href="#outcome-{view.outcome}"'):]
        row = row[:row.index("</tr>")]
        assert view.title in row and f">{view.status}</span>" in row and view.reason in row
    for section in ("verdicts", "changed", "killers", "problems", "promises", "stale"):
        assert f'id="{section}"' in first
    # the demo's collaboration killer, an overdue promise, a check problem, on the first page
    assert "Fewer young people are drawn into criminal exploitation" in first[first.index('id="killers"'):]
    assert "C-16 Bay Health and Care NHS Trust" in first
    assert "reads as an activity" in first
    # then a page per outcome, in slug order, each with a chart per indicator; ledger; meetings
    pages = re.findall(r'<section class="page outcome" id="outcome-([a-z0-9-]+)"', html)
    assert pages == sorted(statuses)
    assert html.index('id="ledger"') > html.index(f'id="outcome-{pages[-1]}"')
    assert html.index('id="meetings"') > html.index('id="ledger"')
    assert html.count('<svg class="chart"') == 6 and html.count('<polyline class="figures"') == 6
    assert "The story behind the curve".lower() in html.lower()
    assert "@media print" in html and "@page" in html


def test_no_contact_details_unless_private(demo_path):
    with partnership.open(demo_path) as p:
        people = p.store.query("SELECT name, email, phone FROM people")
        public = p.report.render()
        private = p.report.render(private=True)
    assert people and all(r["email"] and r["phone"] for r in people)
    for r in people:
        assert r["email"] not in public and r["phone"] not in public
        assert r["email"] in private and r["phone"] in private
    assert "PRIVATE" in private and 'id="contacts"' in private
    assert "PRIVATE" not in public and 'id="contacts"' not in public


def test_plugin_metrics_appear_like_built_ins(demo_path):
    plugins = ROOT / "plugins"
    with partnership.open(demo_path, plugins_dir=plugins) as p:
        p.measure.refresh(force=True)
        html = p.report.render()
    page = html[html.index('id="outcome-fewer-repeat-asb"'):html.index('id="outcome-partnership-website"')]
    lines = re.findall(r'<p class="measures">.*?</p>', page, re.S)
    assert lines
    for line in lines:  # the plugin's metric sits in the same line as the built-ins
        assert 'latest <strong>' in line and 'rolling-average <strong>' in line
    legend = html[html.index('id="measures"'):]
    legend = legend[:legend.index("</table>")]
    assert "<td>latest</td>" in legend and "<td>rolling-average</td>" in legend
    assert "Mean of the last" in legend  # its own description, as built-ins have theirs
    ledger = html[html.index('id="ledger"'):]
    assert "<td>better-off-share</td>" in ledger  # a partnership-wide plugin metric


def test_since_a_meeting(demo_path):
    with partnership.open(demo_path) as p:
        html = p.report.render(since="board-2026-01")
        data = p.report.data(since="board-2026-01")
    assert "Changes since the meeting board-2026-01 (20 January 2026)" in html
    assert data["since"] == "2026-01-20" and data["changes"]
    # the demo's log is dated by its story: what happened since that board is listed,
    # and setting the partnership up, a month before its first meeting, is not
    assert "Partnership board, January was held" in data["changes"]
    assert any(c.endswith("promises kept") for c in data["changes"])
    assert not any("joined the partnership" in c for c in data["changes"])
    with partnership.open(demo_path) as p:
        everything = p.report.data(since="2025-01-01")["changes"]
    assert "8 partners joined the partnership" in everything


def report(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db), "report", *args], catch_exceptions=False)


def one_line_error(result: Result) -> str:
    assert result.exit_code != 0
    message = result.stderr.strip()
    assert message and "\n" not in message and "Traceback" not in message, message
    return message


@pytest.mark.slow
def test_cli_writes_html_safely(demo_path, tmp_path, monkeypatch, unchanged):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARTNERSHIP_TODAY", "2026-10-31")
    result = report(demo_path)
    assert result.exit_code == 0, result.output
    default = tmp_path / "board-2026-10.html"
    assert default.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "wrote the board pack to board-2026-10.html" in result.output
    # its own file is replaced; anyone else's is not, unless --force
    assert report(demo_path, "-o", str(default)).exit_code == 0
    notes = tmp_path / "notes.html"
    notes.write_text("<p>my notes</p>")
    assert "--force" in one_line_error(report(demo_path, "-o", str(notes)))
    assert notes.read_text() == "<p>my notes</p>"
    assert report(demo_path, "-o", str(notes), "--force").exit_code == 0
    # a private pack is readable by its owner only; a public one by others too
    private = tmp_path / "private.html"
    assert report(demo_path, "-o", str(private), "--private").exit_code == 0
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE(default.stat().st_mode) & 0o044
    with unchanged(demo_path):
        assert "end the file name in .html or .pdf" in one_line_error(report(demo_path, "-o", "board.docx"))
        assert "no meeting 'no-such-meeting'" in one_line_error(
            report(demo_path, "-o", "x.html", "--since", "no-such-meeting"))
        assert "since must be" in one_line_error(report(demo_path, "-o", "x.html", "--since", "2026-13-45"))
    assert not (tmp_path / "x.html").exists() and not (tmp_path / "board.docx").exists()
    # never the working database, even with --force, even when its name ends in .html
    odd = tmp_path / "work.html"
    shutil.copy(demo_path, odd)
    with unchanged(odd):
        assert "working database" in one_line_error(report(odd, "-o", str(odd), "--force"))


def test_pdf_without_weasyprint_says_how_to_get_it(demo_path, tmp_path, monkeypatch, unchanged):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if it were not installed
    target = tmp_path / "board.pdf"
    with unchanged(demo_path):
        message = one_line_error(report(demo_path, "-o", str(target)))
    assert "pip install 'partnership[pdf]'" in message and "WeasyPrint" in message
    assert not target.exists() and list(tmp_path.glob("*.pdf*")) == []


@needs_pdf
@pytest.mark.slow
def test_pdf_first_page_shows_every_outcome_and_its_status(demo_path, tmp_path):
    target = tmp_path / "board.pdf"
    result = report(demo_path, "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"%PDF-")
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(target), str(tmp_path / "page")],
                   check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    titles = outcome_titles(demo_path)
    assert len(pages) >= 1 + len(titles) + 2  # first page, a page per outcome, ledger, meetings
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5_000 for p in pages)
    first = flat(subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(target), "-"], check=True,
                                capture_output=True, text=True, timeout=60).stdout)
    with partnership.open(demo_path) as p:
        from partnership.outcomes.status import outcome_statuses

        statuses = outcome_statuses(p)
    for view in statuses.values():
        assert view.title in first, view.title
    for word in {v.status for v in statuses.values()}:
        assert word in first
    for heading in ("Is it working?", "What changed", "Collaboration killers", "Check problems",
                    "Promises due and broken", "Stale figures"):
        assert heading in first, heading
    # the file is recognised as the command's own: written again without --force
    assert report(demo_path, "-o", str(target)).exit_code == 0



@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Chromium is not installed at {CHROMIUM}")
def test_html_in_a_real_browser(demo_path, tmp_path):
    target = tmp_path / "board.html"
    assert report(demo_path, "-o", str(target)).exit_code == 0

    def chromium(*args: str, profile: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / profile}", "--window-size=1200,1800", *args],
            capture_output=True, text=True, timeout=120)

    dom = chromium("--dump-dom", target.as_uri(), profile="dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    for title in outcome_titles(demo_path).values():
        assert title in html
    assert html.count("<polyline") == 6 and 'id="ledger"' in html and 'id="meetings"' in html
    shot = tmp_path / "board.png"
    result = chromium(f"--screenshot={shot}", target.as_uri(), profile="shot")
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    printed = tmp_path / "chromium.pdf"  # the print stylesheet, as a browser prints it
    result = chromium(f"--print-to-pdf={printed}", "--no-pdf-header-footer", target.as_uri(), profile="pdf")
    assert result.returncode == 0 and printed.read_bytes().startswith(b"%PDF-")
    if shutil.which("pdftotext"):
        text = flat(subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(printed), "-"],
                                   capture_output=True, text=True, timeout=60).stdout)
        assert "Is it working?" in text and "Fewer residents suffer repeated" in text


def test_status_bar_names_every_status_even_a_narrow_one():
    """On paper a segment too narrow for its words has no tooltip: the legend names it."""
    from partnership.reporting.boardpack.charts import COLOURS, status_bar

    order = ["on track", "at risk", "off track", "needs a rethink", "not measured"]
    svg = str(status_bar({"on track": 198, "needs a rethink": 1, "off track": 0}, order))
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "198 on track" in texts and "1 needs a rethink" in texts
    assert not any("off track" in t for t in texts)  # a status with no outcome is not listed
    assert svg.count(COLOURS["needs a rethink"]) == 2  # its segment and its legend square
