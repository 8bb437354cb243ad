"""What the pages of the public site cost and show: a view's whole row count is counted
once per server (the file is immutable) unless the view reads the clock or draws a
random number, and a table page shows the number of rows docs/dashboard.md says."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import pytest
import yaml

from partnership.reporting.metadata import SETTINGS
from partnership.reporting.serve import make_datasette

ROOT = Path(__file__).resolve().parent.parent


def counts_and_queries(ds, path, times=2):
    """For each of ``times`` requests of ``path`` (JSON): the row count the page shows
    and the count queries it ran."""

    async def fetch():
        out = []
        for _ in range(times):
            r = await ds.client.get(path + ("&" if "?" in path else "?") + "_trace=1")
            assert r.status_code == 200, r.text[:300]
            data = r.json()
            counts = [t["sql"] for t in data["_trace"]["traces"]
                      if t["sql"].startswith("select count(*)")]
            out.append((data["filtered_table_rows_count"], counts))
        return out

    return asyncio.run(fetch())


@pytest.fixture
def views(tmp_path):
    """A public file (served immutable) with steady views, and views that read the clock
    or a random number directly or through another view."""
    path = tmp_path / "public.db"
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE t (x INTEGER);
        INSERT INTO t VALUES (1), (2), (3);
        CREATE VIEW steady AS SELECT x FROM t;
        CREATE VIEW "odd name" AS SELECT x FROM steady WHERE x > 1;
        CREATE VIEW by_clock AS SELECT x FROM t WHERE date('now') > '2000-01-01';
        CREATE VIEW through_clock AS SELECT x FROM by_clock;
        CREATE VIEW by_chance AS SELECT x FROM t WHERE random() IS NOT NULL;
    """)
    conn.commit()
    conn.close()
    (tmp_path / "public.metadata.yml").write_text(yaml.safe_dump(
        {"settings": {**SETTINGS, "trace_debug": True}}), encoding="utf-8")
    return make_datasette(path)


def test_a_steady_views_whole_count_is_counted_once(views):
    for path, n in (("/public/steady.json", 3), ("/public/odd+name.json", 2)):
        (first, asked), (again, asked_again) = counts_and_queries(views, path, times=2)
        assert first == again == n
        assert len(asked) == 1 and asked_again == [], path
    # a filtered count is counted each time (only a view's whole count is kept), and so
    # is a table's without the inspect file publish writes (here there is none)
    for count, asked in counts_and_queries(views, "/public/steady.json?x__gt=1", times=2):
        assert count == 2 and len(asked) == 1
    for count, asked in counts_and_queries(views, "/public/t.json", times=3):
        assert count == 3 and len(asked) == 1


@pytest.mark.parametrize("view", ["by_clock", "through_clock", "by_chance"])
def test_a_view_that_may_change_is_counted_on_every_page(views, view):
    for count, asked in counts_and_queries(views, f"/public/{view}.json", times=2):
        assert count == 3 and len(asked) == 1


@pytest.fixture(scope="module")
def site(_published_template):
    _, result = _published_template
    return Path(result.path), make_datasette(result.path, result.metadata_path)


def test_the_served_views_count_the_rows_they_hold(site):
    """Counted once, each view of the published demo still shows its true row count."""
    path, ds = site
    conn = sqlite3.connect(path)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")]
    expected = {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}
    conn.close()
    assert "indicator_series" in names

    async def shown():
        out = {}
        for name in names:
            for _ in range(2):
                r = await ds.client.get(f"/public/{name}.json?_size=1")
                out.setdefault(name, []).append(r.json()["filtered_table_rows_count"])
        return out

    for name, counts in asyncio.run(shown()).items():
        assert counts == [expected[name]] * 2, name


def test_a_table_page_shows_the_rows_the_docs_say(site):
    size = SETTINGS["default_page_size"]
    docs = " ".join((ROOT / "docs" / "dashboard.md").read_text(encoding="utf-8").split())
    assert f"A table page shows {size} rows at a time" in docs
    assert "1,000 rows a page" not in docs
    path, ds = site
    conn = sqlite3.connect(path)
    total = conn.execute("SELECT count(*) FROM observations").fetchone()[0]
    conn.close()
    assert total > size
    html = asyncio.run(ds.client.get("/public/observations")).text
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert len(re.findall(r"<tr>", body)) == size and "Next page" in html
    csv = asyncio.run(ds.client.get("/public/observations.csv")).text
    assert len(csv.splitlines()) == size + 1
    csv = asyncio.run(ds.client.get("/public/observations.csv?_size=max")).text
    assert len(csv.splitlines()) == min(total, SETTINGS["max_returned_rows"]) + 1
