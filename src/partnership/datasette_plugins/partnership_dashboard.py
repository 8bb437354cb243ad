"""The home page of a partnership's public site, as a Datasette plugin.

Loaded by ``partnership serve`` (and by plain Datasette with ``--plugins-dir`` pointing
at this folder, plus ``--template-dir`` at ``partnership/templates``). For the
``index.html`` template it finds the published partnership database (the one with a
``site`` table) and reads the dashboard views that ``partnership publish`` always
creates, so the page shows whatever features have data and never fails on a missing
table. Charts are drawn here as SVG: no JavaScript, nothing fetched from elsewhere.

All text reaches the page through Jinja's autoescaping; this module only computes
numbers and URLs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from datasette import hookimpl

SHOWN = 12  # outcomes, charts and rows shown per section; the rest are a click away


@hookimpl
def extra_template_vars(template: str, datasette: Any, request: Any) -> Any:
    if template != "index.html":
        return {}

    async def inner() -> dict[str, Any]:
        db = await _site_database(datasette)
        if db is None:
            return {"partnership": None}
        # the public database is immutable: compute the page's figures once per file
        key = (id(datasette), db.name, db.path, getattr(db, "hash", None))
        if key not in _CACHE or not _cacheable(db):
            _CACHE[key] = await home(datasette, db)
        return {"partnership": _CACHE[key]}

    return inner


_CACHE: dict[tuple[Any, ...], dict[str, Any]] = {}


def _cacheable(db: Any) -> bool:
    return not db.is_mutable


async def _site_database(datasette: Any) -> Any:
    for name, db in datasette.databases.items():
        if name.startswith("_"):
            continue
        if await db.table_exists("site"):
            return db
    return None


async def _rows(db: Any, sql: str, params: Any = None) -> list[dict[str, Any]]:
    result = await db.execute(sql, params or [])
    return [dict(r) for r in result.rows]


async def _exists(db: Any, name: str) -> bool:
    return bool(await _rows(db, "select 1 from sqlite_master where name = ?", [name]))


def _badge(status: Any) -> str:
    s = str(status or "").lower().replace(" ", "-")
    return {"on-track": "good", "achieved": "good", "at-risk": "warn", "off-track": "bad",
            "reboot": "bad", "killer": "bad", "collaboration-killer": "bad",
            "dropped": "muted", "proposed": "muted"}.get(s, "neutral")


async def home(datasette: Any, db: Any) -> dict[str, Any]:
    name = db.name

    def table_url(table: str, **filters: Any) -> str:
        url = datasette.urls.table(name, table)
        filters = {k: v for k, v in filters.items() if v is not None}
        return url + ("?" + urlencode(filters) if filters else "")

    site = (await _rows(db, "select * from site"))[0]
    counts = (await _rows(db, """
        select (select count(*) from partners) as partners,
               (select count(*) from outcomes) as outcomes,
               (select count(*) from contributions) as contributions,
               (select coalesce(sum(additional), 0) from contributions) as additional
    """))[0]
    counts["additional_pct"] = (round(100 * counts["additional"] / counts["contributions"])
                                if counts["contributions"] else 0)

    # outcomes with status, the ones in trouble first
    working = await _rows(db, """
        select * from is_it_working
        order by case lower(replace(coalesce(status, ''), ' ', '-'))
                 when 'off-track' then 0 when 'at-risk' then 1 when 'on-track' then 2 else 3 end,
                 case outcome_status when 'agreed' then 0 when 'proposed' then 2 else 1 end,
                 outcome_title
        limit 400
    """)
    outcomes: dict[str, dict[str, Any]] = {}
    for r in working:
        o = outcomes.setdefault(r["outcome"], {
            "slug": r["outcome"], "title": r["outcome_title"], "status": r["outcome_status"],
            "badge": _badge(r["outcome_status"]), "url": datasette.urls.row(name, "outcomes", r["outcome"]),
            "indicators": []})
        if r["indicator"] is not None:
            o["indicators"].append({**r, "badge": _badge(r["status"])})
    outcome_list = list(outcomes.values())[:SHOWN]

    # a chart per indicator: observations against baseline and target
    charts = []
    for r in working:
        if r["indicator"] is None or len(charts) >= SHOWN:
            continue
        series = await _rows(db, "select date, value from indicator_series where indicator = ? "
                                 "and value is not null order by date", [r["indicator"]])
        chart = line_chart(series, r)
        if chart:
            chart["url"] = table_url("indicator_series", indicator=r["indicator"])
            charts.append(chart)

    # what each outcome gets: additional vs business as usual (always available)
    bring = await _rows(db, """
        select o.slug as outcome, o.title as title, count(c.id) as total,
               coalesce(sum(c.additional), 0) as additional
        from outcomes o left join contributions c on c.outcome = o.slug
        group by o.slug order by total desc, o.title limit ?
    """, [SHOWN])
    bars = bar_chart(bring, lambda o: table_url("contributions", outcome=o))

    # who does what: the shown outcomes x the partners in them
    slugs = [o["slug"] for o in outcome_list]
    marks = ",".join("?" for _ in slugs) or "''"
    cells = await _rows(db, f"""
        select s.outcome, s.partner, 1 as stake, 0 as n, 0 as additional from stakes s
        where s.outcome in ({marks})
        union all
        select c.outcome, c.partner, 0, 1, c.additional from contributions c
        where c.outcome in ({marks})
    """, slugs + slugs)
    grid: dict[tuple[str, str], dict[str, int]] = {}
    involvement: dict[str, int] = {}
    for c in cells:
        g = grid.setdefault((c["outcome"], c["partner"]), {"stake": 0, "n": 0, "additional": 0})
        g["stake"] |= c["stake"]
        g["n"] += c["n"]
        g["additional"] += c["additional"] or 0
        involvement[c["partner"]] = involvement.get(c["partner"], 0) + 1
    partner_slugs = sorted(involvement, key=lambda s: (-involvement[s], s))[:SHOWN]
    names = {r["slug"]: r["name"] for r in await _rows(
        db, f"select slug, name from partners where slug in ({','.join('?' for _ in partner_slugs) or chr(39)*2})",
        partner_slugs)}
    matrix = {
        "partners": [{"slug": s, "name": names.get(s, s), "url": datasette.urls.row(name, "partners", s)}
                     for s in partner_slugs],
        "rows": [{"outcome": o, "cells": [
            {**grid.get((o["slug"], s), {"stake": 0, "n": 0, "additional": 0}),
             "url": table_url("contributions", outcome=o["slug"], partner=s)}
            for s in partner_slugs]} for o in outcome_list],
        "more_partners": max(len(involvement) - len(partner_slugs), 0),
        "url": table_url("who_does_what"),
    }

    gaps = await _rows(db, "select * from where_are_the_gaps limit ?", [SHOWN])
    for g in gaps:
        g["badge"] = _badge(g["state"])
        g["url"] = table_url("where_are_the_gaps", outcome=g["outcome"])
    ledger = await _rows(db, "select * from who_keeps_promises order by kept_rate desc, partner_name limit ?", [SHOWN])
    for row in ledger:
        row["url"] = table_url("who_keeps_promises", partner=row["partner"])
        rate = row.get("kept_rate")
        row["pct"] = None if rate is None else round(100 * rate if rate <= 1 else rate)
    updates = await _rows(db, "select * from latest_updates order by at desc limit 8")
    for u in updates:
        u["day"] = str(u["at"] or "")[:10]

    from partnership.public import PUBLIC_VIEWS

    more = [{"name": v, "url": table_url(v)} for v in PUBLIC_VIEWS if await _exists(db, v)]
    return {
        "db": name, "site": site, "counts": counts, "outcomes": outcome_list,
        "more_outcomes": max(counts["outcomes"] - len(outcome_list), 0),
        "charts": charts, "bars": bars, "matrix": matrix, "gaps": gaps, "ledger": ledger,
        "updates": updates, "more_views": more,
        "links": {
            "outcomes": table_url("outcomes"), "partners": table_url("partners"),
            "contributions": table_url("contributions"),
            "is_it_working": datasette.urls.database(name) + "/is-it-working",
            "who_does_what": table_url("who_does_what"),
            "gaps": datasette.urls.database(name) + "/where-are-the-gaps",
            "ledger": datasette.urls.database(name) + "/who-keeps-their-promises",
            "updates": table_url("latest_updates"),
            "feed": datasette.urls.database(name) + "/feed.atom",
            "database": datasette.urls.database(name),
        },
    }


def _day(value: Any) -> float | None:
    try:
        return float(dt.date.fromisoformat(str(value)[:10]).toordinal())
    except (TypeError, ValueError):
        return None


W, H, PAD_L, PAD_R, PAD_T, PAD_B = 320, 150, 44, 12, 12, 22


def line_chart(series: list[dict[str, Any]], ind: dict[str, Any]) -> dict[str, Any] | None:
    """Coordinates of an SVG line chart: observations, baseline and target."""
    points = [(_day(r["date"]), float(r["value"])) for r in series
              if _day(r["date"]) is not None and isinstance(r["value"], (int, float))]
    if not points:
        return None
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    target = ind.get("target") if isinstance(ind.get("target"), (int, float)) else None
    baseline = ind.get("baseline") if isinstance(ind.get("baseline"), (int, float)) else None
    target_x = _day(ind.get("target_date"))
    if target_x is not None:
        xs.append(target_x)
    ys += [v for v in (target, baseline) if v is not None]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y1 = y0 + 1
    margin = (y1 - y0) * 0.1
    y0, y1 = y0 - margin, y1 + margin

    def sx(x: float) -> float:
        return round(PAD_L + (x - x0) / (x1 - x0) * (W - PAD_L - PAD_R), 1)

    def sy(y: float) -> float:
        return round(H - PAD_B - (y - y0) / (y1 - y0) * (H - PAD_T - PAD_B), 1)

    return {
        "indicator": ind["indicator"], "outcome_title": ind["outcome_title"], "unit": ind.get("unit") or "",
        "status": ind.get("status"), "badge": _badge(ind.get("status")),
        "latest": ind.get("latest"), "baseline": baseline, "target": target,
        "target_date": ind.get("target_date"),
        "width": W, "height": H, "left": PAD_L, "right": W - PAD_R, "bottom": H - PAD_B,
        "path": " ".join(f"{sx(x)},{sy(y)}" for x, y in points),
        "dots": [{"x": sx(x), "y": sy(y)} for x, y in points[-1:]],
        "baseline_y": sy(baseline) if baseline is not None else None,
        "target_y": sy(target) if target is not None else None,
        "target_x": sx(target_x) if target_x is not None and target is not None else None,
        "y_top": _fmt(y1), "y_bottom": _fmt(y0),
        "first_date": dt.date.fromordinal(int(min(xs))).isoformat()[:7],
        "last_date": dt.date.fromordinal(int(max(xs))).isoformat()[:7],
        "count": len(points),
    }


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:.2g}"


def bar_chart(rows: list[dict[str, Any]], url: Any) -> dict[str, Any]:
    """Horizontal stacked bars: contributions per outcome, additional and business as usual."""
    top = max((r["total"] for r in rows), default=0) or 1
    width, label_w, row_h = 640, 0, 30
    bars = []
    for i, r in enumerate(rows):
        add = (r["additional"] or 0) / top * width
        bau = (r["total"] - (r["additional"] or 0)) / top * width
        bars.append({"title": r["title"], "total": r["total"], "additional": r["additional"] or 0,
                     "y": i * row_h, "add_w": round(add, 1), "bau_w": round(bau, 1),
                     "url": url(r["outcome"])})
    return {"bars": bars, "width": width + label_w, "height": max(len(rows), 1) * row_h, "row_h": row_h}
