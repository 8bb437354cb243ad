"""The rows of table and row pages written in Python (partnership.reporting.tablehtml)
give the very page Datasette's own ``_table.html`` gives, and the site falls back to
Datasette's template when the installed one is not the template reproduced."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from urllib.parse import quote

import pytest

from partnership.reporting import tablehtml
from partnership.reporting.serve import DATASETTE_PLUGINS_DIR, TEMPLATE_DIR, make_datasette

TIMING = re.compile(r"Queries took [0-9.]+ms")


def pages(ds, paths):
    """The HTML of each of ``paths`` on ``ds`` (without the time its queries took)."""

    async def fetch():
        await ds.invoke_startup()
        out = {}
        for path in paths:
            r = await ds.client.get(path)
            assert r.status_code == 200, (path, r.status_code)
            out[path] = TIMING.sub("", r.text)
        return out

    return asyncio.run(fetch())


def without_python_rows(ds):
    """``ds`` rendering its rows with Datasette's own ``_table.html``."""
    asyncio.run(ds.invoke_startup())
    del ds.jinja_env.globals[tablehtml.GLOBAL_NAME]
    del ds.jinja_env.globals[tablehtml.QUERY_GLOBAL_NAME]
    return ds


@pytest.fixture(scope="module")
def public_file(_published_template):
    _, result = _published_template
    return Path(result.path), Path(result.metadata_path)


def every_kind_of_page(path: Path) -> list[str]:
    """Each table's and view's page, sorted up and down by a column, a row page, and a
    filter that matches nothing."""
    conn = sqlite3.connect(path)
    out = []
    for name, kind in conn.execute("SELECT name, type FROM sqlite_master "
                                   "WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"):
        columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')]
        base = f"/public/{quote(name)}"
        out += [base, f"{base}?_sort={quote(columns[-1])}", f"{base}?_sort_desc={quote(columns[0])}",
                f"{base}?{quote(columns[0])}=no-such-value"]
        if kind == "table":
            keys = [r[1] for r in sorted(conn.execute(f'PRAGMA table_info("{name}")'),
                                         key=lambda r: r[5]) if r[5]]
            if len(keys) == 1:
                row = conn.execute(f'SELECT "{keys[0]}" FROM "{name}" LIMIT 1').fetchone()
                if row is not None:
                    out.append(f"{base}/{quote(str(row[0]))}")
    conn.close()
    return out


def every_query_page(metadata: Path) -> list[str]:
    """Each canned query's page, and SQL pages with rows and without."""
    import yaml

    meta = yaml.safe_load(metadata.read_text(encoding="utf-8"))
    queries = [q for db in meta["databases"].values() for q in db.get("queries") or {}]
    assert len(queries) > 5
    return [f"/public/{quote(q)}" for q in queries if q != "feed"] + [
        "/public?sql=select+*+from+partners", "/public?sql=select+1+where+0",
        "/public?sql=select+slug%2C+%27%3Cb%3E%27+as+%22odd+name%22+from+outcomes"]


@pytest.mark.slow
def test_every_page_of_the_public_site_is_the_same_as_with_datasettes_template(public_file):
    target, metadata = public_file
    paths = every_kind_of_page(target) + every_query_page(metadata)
    fast = make_datasette(target, metadata)
    assert pages(fast, ["/public/partners"]) and tablehtml.GLOBAL_NAME in fast.jinja_env.globals
    assert tablehtml.QUERY_GLOBAL_NAME in fast.jinja_env.globals
    slow = without_python_rows(make_datasette(target, metadata))
    got, expected = pages(fast, paths), pages(slow, paths)
    assert any("<td class=" in html for html in expected.values())
    assert any('class="zero-results"' in html for html in expected.values())
    assert any("0 results" in html for html in expected.values())
    for path in paths:
        assert got[path] == expected[path], path


def awkward_site(tmp_path: Path, *, python_rows: bool = True):
    """Plain Datasette with the site's templates and plugins over a table with awkward
    names, descriptions and values."""
    from datasette.app import Datasette

    db = tmp_path / ("python" if python_rows else "jinja") / "awkward.db"
    db.parent.mkdir()
    conn = sqlite3.connect(db)
    conn.executescript("""
        CREATE TABLE places (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE "odd table" (
            "_id" INTEGER PRIMARY KEY, "kept rate" REAL, "what<b>" TEXT, place INTEGER
                REFERENCES places(id), link TEXT, blob BLOB, untyped);
    """)
    conn.execute("INSERT INTO places VALUES (1, 'Lancaster & \"Morecambe\"')")
    conn.executemany('INSERT INTO "odd table" VALUES (?, ?, ?, ?, ?, ?, ?)', [
        (1, 0.5, "<script>alert('x')</script>", 1, "https://example.org/?a=1&b=<2>", b"\x00\x01", None),
        (2, None, "", None, "not a link", None, 3),
        (3, 1e20, "a \"quoted\" & 'single' ▲", 1, "", b"", "text"),
    ])
    conn.commit()
    conn.close()
    ds = Datasette(
        [str(db)], template_dir=str(TEMPLATE_DIR), plugins_dir=str(DATASETTE_PLUGINS_DIR),
        metadata={"databases": {"awkward": {"tables": {"odd table": {"columns": {
            "kept rate": 'A "rate" <between> 0 & 1', "what<b>": "Text with 'quotes'"}}}}}})
    return ds if python_rows else without_python_rows(ds)


def test_awkward_names_descriptions_and_values_give_the_same_page(tmp_path):
    paths = ["/awkward/odd+table", "/awkward/odd+table?_sort=kept+rate",
             "/awkward/odd+table?_sort_desc=kept+rate", "/awkward/odd+table?_sort=what%3Cb%3E&_next=1",
             "/awkward/odd+table?_labels=off", "/awkward/odd+table/1", "/awkward/odd+table/3",
             "/awkward/odd+table?untyped__isnull=1", "/awkward/places", "/awkward/odd+table?_id=99",
             "/awkward?sql=select+*+from+%5Bodd+table%5D", "/awkward?sql=select+1+as+%22_x+y%22"]
    fast = awkward_site(tmp_path)
    got = pages(fast, paths)
    assert tablehtml.GLOBAL_NAME in fast.jinja_env.globals
    expected = pages(awkward_site(tmp_path, python_rows=False), paths)
    for path in paths:
        assert got[path] == expected[path], path
    # what the awkward values became: escaped, linked and labelled as Datasette does
    page = got["/awkward/odd+table"]
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page and "<script>alert" not in page
    assert 'data-column-description="A &#34;rate&#34; &lt;between&gt; 0 &amp; 1"' in page
    assert "Lancaster &amp; &#34;Morecambe&#34;" in page and "&lt;Binary:&nbsp;2&nbsp;bytes&gt;" in page
    assert "kept rate&nbsp;▼" in got["/awkward/odd+table?_sort=kept+rate"]
    assert "kept rate&nbsp;▲" in got["/awkward/odd+table?_sort_desc=kept+rate"]


def test_another_datasette_template_is_left_to_datasette(tmp_path, monkeypatch):
    """When the installed Datasette's _table.html is not the one reproduced, the site's
    template includes Datasette's own: the page is still complete."""
    assert tablehtml.matches_datasette() and tablehtml.query_template()
    monkeypatch.setattr(tablehtml, "DATASETTE_TABLE_SHA256", "0" * 64)
    monkeypatch.setattr(tablehtml, "DATASETTE_QUERY_SHA256", "0" * 64)
    assert not tablehtml.matches_datasette() and tablehtml.query_template() is None
    ds = awkward_site(tmp_path)
    sql = "/awkward?sql=select+*+from+%5Bodd+table%5D"
    got = pages(ds, ["/awkward/odd+table", "/awkward/places?id=99", sql])
    assert tablehtml.GLOBAL_NAME not in ds.jinja_env.globals
    assert tablehtml.QUERY_GLOBAL_NAME not in ds.jinja_env.globals
    assert got["/awkward/odd+table"].count("<tr>") == 4 and got[sql].count("<tr>") == 4
    assert "&lt;script&gt;" in got[sql]
    assert 'class="zero-results"' in got["/awkward/places?id=99"]


@pytest.mark.parametrize("text", ["", "plain", "a & b", "<b>", "it's", 'say "hi"', "&amp;",
                                  "x<y>z&'\"", "▲ ünïcode", "\x00\n\t"])
def test_a_plain_string_is_escaped_as_markupsafe_escapes_it(text):
    from markupsafe import Markup, escape

    assert tablehtml._escaped(text) == str(escape(text))
    # Markup (a link, &nbsp;) and numbers go through markupsafe itself
    assert tablehtml._escaped(Markup("<a>x</a>")) == "<a>x</a>"
    assert tablehtml._escaped(3) == "3"
