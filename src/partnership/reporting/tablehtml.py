"""Datasette 0.65's ``_table.html`` (the rows of a table or row page), and the rows of its
``query.html`` (a canned query or SQL page), written in Python.

Datasette renders its templates with Jinja in async mode, where every ``{{ cell.value }}``
of every cell is awaited and looked up as an attribute before an item: on a page of 50
rows of 18 columns that was most of the page's time, and the time grew with columns x
rows (bench/bench_dashboard.py). :func:`table_html` writes the same characters as that
template, for the same context, in one pass; :func:`query_rows_html` the same as the
loop over the rows of ``query.html`` (a canned query page shows up to 1,000 rows).

Each is used only while Datasette's own template is the one it was written from
(:data:`DATASETTE_TABLE_SHA256`, :data:`DATASETTE_QUERY_SHA256`): the site's
``_table.html`` and ``query.html`` fall back to Datasette's templates when
:func:`register` has not installed them, so a Datasette upgrade changes nothing but
speed. tests/test_tablehtml.py checks that both give the same pages.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

#: sha256 of the ``_table.html`` of Datasette 0.65 that :func:`table_html` reproduces
DATASETTE_TABLE_SHA256 = "f75a8872713f28fdce49b9a44a397f26ba1b5db5e82a74dda1f20ec14faaaa57"
#: sha256 of the ``query.html`` of Datasette 0.65 whose rows :func:`query_rows_html` writes
DATASETTE_QUERY_SHA256 = "bc3559df0e209da97d0bb46d0da5e36e02a9a561e4e473d1b79f62776786b435"

#: the name the site's ``_table.html`` calls :func:`table_html` by
GLOBAL_NAME = "partnership_table"
#: the name of :func:`query_rows_html` in templates
QUERY_GLOBAL_NAME = "partnership_query_rows"
#: Datasette's ``query.html`` with its loop over the rows replaced by :func:`query_rows_html`
#: (the site's ``query.html`` extends it when it is there)
QUERY_TEMPLATE = "_partnership_query.html"
#: the loop of Datasette's ``query.html`` that :func:`query_rows_html` replaces
QUERY_ROWS_LOOP = (
    "{% for row in display_rows %}\n        <tr>\n"
    "            {% for column, td in zip(columns, row) %}\n"
    '                <td class="col-{{ column|to_css_class }}">{{ td }}</td>\n'
    "            {% endfor %}\n        </tr>\n    {% endfor %}")


def datasette_template(name: str) -> Path:
    """Datasette's own template ``name``."""
    import datasette

    return Path(datasette.__file__).parent / "templates" / name


def _matches(name: str, sha256: str) -> bytes | None:
    """The installed Datasette's template ``name`` if it is the one of ``sha256``."""
    try:
        found = datasette_template(name).read_bytes()
    except OSError:
        return None
    return found if hashlib.sha256(found).hexdigest() == sha256 else None


def matches_datasette() -> bool:
    """Whether the installed Datasette's ``_table.html`` is the one reproduced here."""
    return _matches("_table.html", DATASETTE_TABLE_SHA256) is not None


def query_template() -> str | None:
    """Datasette's ``query.html`` with its rows written by :func:`query_rows_html`, or None
    if the installed Datasette's is not the one that was written from."""
    found = _matches("query.html", DATASETTE_QUERY_SHA256)
    if found is None:
        return None
    text = found.decode("utf-8")
    if text.count(QUERY_ROWS_LOOP) != 1:
        return None
    return text.replace(QUERY_ROWS_LOOP, "{{ " + QUERY_GLOBAL_NAME + "() }}")


def register(env: Any) -> bool:
    """Give the Jinja environment ``env`` :func:`table_html` and :func:`query_rows_html`,
    each if it reproduces the installed Datasette's template; say whether both were."""
    import jinja2

    tables = matches_datasette()
    if tables:
        env.globals[GLOBAL_NAME] = jinja2.pass_context(table_html)
    query = query_template()
    if query is not None:
        env.loader = jinja2.ChoiceLoader([jinja2.DictLoader({QUERY_TEMPLATE: query}), env.loader])
        env.globals[QUERY_GLOBAL_NAME] = jinja2.pass_context(query_rows_html)
    return tables and query is not None


# the template's text between its tags, as Jinja writes it (no whitespace control)
_TH = "\n                    <th "
_TH_END = "\n                    </th>\n                "
_TD = "\n                    <td class=\""
_TD_END = "</td>\n                "
_ROW = "\n            <tr>\n                "
_ROW_END = "\n            </tr>\n        "
_HEAD = ('\n<div class="table-wrapper">\n    <table class="rows-and-columns">\n        <thead>\n'
         '            <tr>\n                ')
_BODY = "\n            </tr>\n        </thead>\n        <tbody>\n        "
_END = "\n        </tbody>\n    </table>\n</div>\n"
_EMPTY = '\n    <p class="zero-results">0 records</p>\n'
_LINK = "\n                            \n                                <a href=\""
_LINK_END = "</a>\n                            \n                        "


def table_html(context: Any) -> Markup:
    """What Datasette's ``_table.html`` renders for ``context`` (a Jinja context of a
    table or row page: ``display_columns``, ``display_rows``, ``sort``, ``sort_desc``,
    ``request``, ``fix_path``, ``path_with_replaced_args``)."""
    from datasette.utils import to_css_class

    rows = context.get("display_rows")
    if not rows:
        return Markup(_EMPTY)
    out = [_HEAD]
    add = out.append
    sort, sort_desc = context.get("sort"), context.get("sort_desc")
    for column in context.get("display_columns") or []:
        name = column["name"]
        add(_TH)
        if column.get("description"):
            add(f'data-column-description="{escape(column["description"])}" ')
        add(f'class="col-{escape(to_css_class(name))}" scope="col" data-column="{escape(name)}" '
            f'data-column-type="{escape(column["type"].lower())}" '
            f'data-column-not-null="{escape(column["notnull"])}" '
            f'data-is-pk="{1 if column["is_pk"] else 0}">\n                        ')
        if not column["sortable"]:
            add(f"\n                            {escape(name)}\n                        ")
        else:
            fix_path, replaced = context.get("fix_path"), context.get("path_with_replaced_args")
            if name == sort:
                href = fix_path(replaced(context.get("request"),
                                         {"_sort_desc": name, "_sort": None, "_next": None}))
                label = f"{escape(name)}&nbsp;\u25bc"
            else:
                href = fix_path(replaced(context.get("request"),
                                         {"_sort": name, "_sort_desc": None, "_next": None}))
                label = f"{escape(name)}&nbsp;\u25b2" if name == sort_desc else str(escape(name))
            add(f'{_LINK}{escape(href)}" rel="nofollow">{label}{_LINK_END}')
        add(_TH_END)
    add(_BODY)
    # a cell's opening tag depends only on its column and the type of its value
    opening: dict[tuple[Any, Any], str] = {}
    for row in rows:
        add(_ROW)
        for cell in row:
            key = (cell["column"], cell["value_type"])
            tag = opening.get(key)
            if tag is None:
                tag = opening[key] = (f'{_TD}col-{escape(to_css_class(key[0]))} '
                                      f'type-{escape(key[1])}">')
            add(tag)
            add(_escaped(cell["value"]))
            add(_TD_END)
        add(_ROW_END)
    add(_END)
    return Markup("".join(out))


def query_rows_html(context: Any) -> Markup:
    """What the loop over the rows of Datasette's ``query.html`` writes for ``context``
    (``columns`` and ``display_rows`` of a canned query or SQL page)."""
    from datasette.utils import to_css_class

    columns = list(context.get("columns") or [])
    opening = [f'\n                <td class="col-{escape(to_css_class(c))}">' for c in columns]
    out: list[str] = []
    add = out.append
    for row in context.get("display_rows") or []:
        add("\n        <tr>\n            ")
        for tag, td in zip(opening, row, strict=False):  # as Jinja's zip: the shorter
            add(tag)
            add(_escaped(td))
            add("</td>\n            ")
        add("\n        </tr>\n    ")
    return Markup("".join(out))


def _escaped(value: Any) -> str:
    """``value`` as Jinja's autoescape writes it (markupsafe's ``escape``); a plain string,
    most cells' value, by five replacements, several times faster than making a Markup."""
    if type(value) is str:
        return (value.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
                .replace("'", "&#39;").replace('"', "&#34;"))
    return str(escape(value))
