"""The figures of the public home page, read from a published file.

:func:`compute_home` reads the tables and views that ``partnership publish`` always
creates (every built-in feature is always present, so each one is there, empty or
not), one small function per section of the page, and returns what the ``index.html``
template shows. Charts are computed here as SVG coordinates: no JavaScript, nothing
fetched from elsewhere. All text reaches the page through Jinja's autoescaping; this
module only computes numbers and URLs.

The dashboard plugin (``reporting/datasette_plugins/partnership_dashboard.py``) runs it
once per published file on one of Datasette's connections. It imports nothing from
Datasette: the ``datasette`` object it is given only builds URLs.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

SHOWN = 12  # outcomes, charts and rows shown per section; the rest are a click away


def _rows(conn: Any, sql: str, params: Any = None) -> list[dict[str, Any]]:
    cur = conn.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _badge(status: Any) -> str:
    s = str(status or "").lower().replace(" ", "-")
    return {"on-track": "good", "achieved": "good", "on-course": "good", "met": "good",
            "kept": "good", "held": "good",
            "at-risk": "warn", "seeking": "warn", "partly-met": "warn",
            "off-track": "bad", "reboot": "bad", "killer": "bad", "collaboration-killer": "bad",
            "open": "bad", "overdue": "bad",
            "dropped": "muted", "proposed": "muted", "no-needs": "muted", "accepted": "muted",
            "filled-externally": "good", "cancelled": "muted"}.get(s, "neutral")


def _pct(rate: Any) -> int | None:
    if not isinstance(rate, (int, float)):
        return None
    return round(100 * rate if rate <= 1 else rate)


def _marks(values: list[Any]) -> str:
    """The placeholders of ``in (...)`` for ``values`` (``''`` for none)."""
    return ",".join("?" for _ in values) or "''"


class _Reads:
    """A connection that notes every table and view its queries read (``reads``), so
    the page is shown only to visitors allowed to see each of them."""

    FROM = re.compile(r"\b(?:from|join)\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.reads: set[str] = set()

    def execute(self, sql: str, params: Any = ()) -> Any:
        self.reads.update(t for t in self.FROM.findall(sql) if not t.lower().startswith("sqlite_"))
        return self.conn.execute(sql, params)


class _Urls:
    """The addresses of the served database's tables, rows and canned queries."""

    def __init__(self, datasette: Any, name: str) -> None:
        self.datasette = datasette
        self.name = name
        self.database: str = datasette.urls.database(name)

    def table(self, table: str, **filters: Any) -> str:
        url: str = self.datasette.urls.table(self.name, table)
        filters = {k: v for k, v in filters.items() if v is not None}
        return url + ("?" + urlencode(filters) if filters else "")

    def query(self, query: str) -> str:
        return self.database + "/" + query

    def row(self, table: str, *key: Any) -> str:
        url: str = self.datasette.urls.row(self.name, table, ",".join(str(k) for k in key))
        return url


def compute_home(datasette: Any, name: str, conn: Any) -> dict[str, Any]:
    """Every figure of the home page of database ``name``, read on ``conn``."""
    conn = _Reads(conn)
    urls = _Urls(datasette, name)
    site = _rows(conn, "select * from site")[0]
    counts = _counts(conn)
    outcome_list = _outcomes(conn, urls)
    charts = _charts(conn, urls, outcome_list)
    bars = _bars(conn, urls, [o["slug"] for o in outcome_list])
    matrix = _matrix(conn, urls, outcome_list)
    verdicts = _verdicts(conn, urls)
    gaps, open_gaps = _gaps(conn, urls)
    ledger, promises, quarters = _ledger(conn, urls)
    updates, changes = _news(conn, urls)
    findings = _findings(conn, urls)
    meetings = _rows(conn, "select * from meeting_totals")[0]
    governance = _rows(conn, "select * from governance_questions order by number")
    pairs = _pairs(conn, urls)
    reporting = _reporting(conn, urls)
    return {
        "db": name, "site": site, "counts": counts,
        "cards": _cards(urls, counts, promises, meetings), "outcomes": outcome_list,
        "more_outcomes": max(counts["outcomes"] - len(outcome_list), 0),
        "charts": charts, "bars": bars, "matrix": matrix, "verdicts": verdicts, "gaps": gaps,
        "more_gaps": max(open_gaps - len(gaps), 0), "ledger": ledger, "promises": promises,
        "quarters": quarters, "updates": updates, "changes": changes, "meetings": meetings,
        "governance": governance, "pairs": pairs, "more_views": _views(conn, urls),
        "findings": findings, "statuses": _legend(conn, urls), "reporting": reporting,
        "reads": sorted(conn.reads),
        "links": _links(urls),
    }


# -- one function per section of the page ----------------------------------------------------


def _counts(conn: Any) -> dict[str, Any]:
    """The headline counts: partners, outcomes and how many are really shared (two or
    more partners hold a stake: the rule of the ``not-shared`` check), contributions and
    how many are new."""
    counts = _rows(conn, """
        select (select count(*) from partners) as partners,
               (select count(*) from outcomes) as outcomes,
               (select count(*) from (select outcome from stakes group by outcome
                                      having count(distinct partner) > 1)) as shared,
               (select count(*) from contributions) as contributions,
               (select coalesce(sum(additional), 0) from contributions) as additional
    """)[0]
    counts["additional_pct"] = (round(100 * counts["additional"] / counts["contributions"])
                                if counts["contributions"] else 0)
    return counts


#: the public statuses' colours (one pill per outcome: the other two measures are words)
STATUS_BADGES = {"on track": "good", "at risk": "warn", "off track": "bad",
                 "not measured": "muted", "needs a rethink": "rethink"}
#: worst first
STATUS_ORDER = ("needs a rethink", "off track", "at risk", "not measured", "on track")


def _outcomes(conn: Any, urls: _Urls) -> list[dict[str, Any]]:
    """The shown outcomes with their one public status (worst first), why, the two
    measures behind it (step 3's gap verdict, step 4's figures) and their indicators,
    each with the date of its latest figure and since when it is out of date."""
    from partnership.outcomes.status import GAP_VERDICT_WORDS, MEASUREMENT_WORDS, STATUS_MEANINGS

    order = " ".join(f"when '{w}' then {n}" for n, w in enumerate(STATUS_ORDER))
    outcome_rows = _rows(conn, f"""
        select o.slug, o.title, o.status as stage, s.status as status, s.reason as reason,
               s.gap_verdict as gap_verdict, s.measurement as measurement, s.pivot as pivot,
               s.indicators as indicators, s.on_track as on_track, s.at_risk as at_risk,
               s.off_track as off_track, s.stale as stale, s.latest_date as latest_date,
               s.stale_since as stale_since
        from outcomes o left join outcome_public_status s on s.outcome = o.slug
        order by case o.status when 'dropped' then 2 when 'proposed' then 1 else 0 end,
                 case s.status {order} else 9 end, o.title
        limit ?""", [SHOWN])
    slugs = [o["slug"] for o in outcome_rows]
    working = _rows(conn, f"""
        select w.*, f.latest_date as latest_date, f.stale_since as stale_since, f.due as due
        from is_it_working w left join indicator_freshness f on f.indicator = w.indicator
        where w.outcome in ({_marks(slugs)}) and w.indicator is not null
        order by w.outcome, w.indicator""", slugs)
    by_outcome: dict[str, list[dict[str, Any]]] = {}
    for r in working:
        r["badge"] = _badge(r["status"])
        r["status_words"] = MEASUREMENT_WORDS.get(r["status"] or "", r["status"])
        r["url"] = urls.row("indicators", r["indicator"])
        r["shown"] = {k: _fmt_value(r[k]) for k in ("latest", "baseline", "target")}
        by_outcome.setdefault(r["outcome"], []).append(r)
    return [{
        **o, "badge": STATUS_BADGES.get(o["status"] or "", "neutral"),
        "meaning": STATUS_MEANINGS.get(o["status"] or "", ""),
        "gap_words": GAP_VERDICT_WORDS.get(o["gap_verdict"] or "", o["gap_verdict"]),
        "measurement_words": _measurement_words(o),
        "url": urls.row("outcomes", o["slug"]),
        # a materialised table has no key of its own: its rows are found by a filter
        "status_url": urls.table("outcome_public_status", outcome=o["slug"]),
        "progress_url": urls.table("outcome_status", outcome=o["slug"]),
        "verdict_url": urls.table("outcome_verdicts", outcome=o["slug"]),
        "indicators": by_outcome.get(o["slug"], [])} for o in outcome_rows]


def _measurement_words(o: dict[str, Any]) -> str:
    """What an outcome's figures say, in words: "2 of 3 indicators on track"."""
    n = o.get("indicators") or 0
    if not n:
        return "no indicator yet"
    parts = [f"{o[k]} {w}" for k, w in (("on_track", "on track"), ("at_risk", "at risk"),
                                         ("off_track", "off track")) if o.get(k)]
    if not parts:
        return "no figures yet" if n else "no indicator yet"
    words = ", ".join(parts) + f" (of {n} indicator{'s' if n != 1 else ''})"
    if o.get("pivot"):
        words += "; off track long enough to rethink the approach"
    return words


def _legend(conn: Any, urls: _Urls) -> list[dict[str, Any]]:
    """The five public statuses, each with its meaning and how many outcomes have it."""
    from partnership.outcomes.status import STATUS_MEANINGS, STATUSES

    counts = {r["status"]: r["n"] for r in _rows(
        conn, "select status, count(*) as n from outcome_public_status group by status")}
    return [{"status": w, "meaning": STATUS_MEANINGS[w], "badge": STATUS_BADGES[w],
             "count": counts.get(w, 0), "url": urls.table("outcome_public_status", status=w)}
            for w in STATUSES]


def _findings(conn: Any, urls: _Urls) -> dict[str, Any]:
    """What the checks say: the problems and warnings found when the file was published."""
    rows = _rows(conn, "select * from check_findings order by id limit ?", [SHOWN * 2])
    counts = _rows(conn, """select coalesce(sum(severity = 'problem'), 0) as problems,
                                   coalesce(sum(severity = 'warning'), 0) as warnings,
                                   count(*) as total from check_findings""")[0]
    for r in rows:
        r["badge"] = "bad" if r["severity"] == "problem" else "warn"
        r["url"] = urls.row("check_findings", r["id"])
    return {**counts, "rows": rows, "more": max(counts["total"] - len(rows), 0),
            "url": urls.table("check_findings")}


def _charts(conn: Any, urls: _Urls, outcome_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A chart per indicator of the shown outcomes: observations against baseline and
    target, with the story behind the curve and every metric's latest figure."""
    charts: list[dict[str, Any]] = []
    for r in (i for o in outcome_list for i in o["indicators"]):
        if len(charts) >= SHOWN:
            break
        series = _rows(conn, "select date, value from indicator_series where indicator = ? "
                             "and value is not null order by date", [r["indicator"]])
        notes = _rows(conn, "select id, date, kind, text from story_notes where indicator = ? "
                            "order by date, id", [r["indicator"]])
        chart = line_chart(series, r, notes)
        if not chart:
            continue
        chart["url"] = urls.table("observations", indicator=r["indicator"])
        chart["indicator_url"] = r["url"]
        chart["notes_url"] = urls.table("story_notes", indicator=r["indicator"]) if notes else None
        for n in chart["notes"]:
            n["url"] = urls.row("story_notes", n["id"])
        # every metric's latest figure, built-in or from a plugin: generic on purpose
        metrics = _rows(conn, "select metric, value, max(period) as period from metric_values "
                              "where indicator = ? group by metric order by metric",
                        [r["indicator"]])
        chart["metrics"] = [
            {**m, "url": urls.table("metric_values", indicator=r["indicator"], metric=m["metric"]),
             **_metric_words(m)}
            for m in metrics if m["metric"] not in ("latest", "status")
            and not (m["metric"] == "pivot" and not m["value"])]
        chart["status_words"] = r["status_words"]
        chart["latest_date"] = r.get("latest_date")
        chart["stale_since"] = r.get("stale_since")
        charts.append(chart)
    return charts


def _metric_words(m: dict[str, Any]) -> dict[str, str]:
    """A metric's latest figure as a reader meets it: the built-in ones in words
    (never a bare "pivot: 1"), a plugin's by its name and value."""
    if m["metric"] == "pivot":
        return {"label": "time to rethink", "shown": "off track long enough to change approach"}
    if m["metric"] == "progress":
        return {"label": "progress toward the target", "shown": f"{_fmt_value(m['value'])}%"}
    return {"label": str(m["metric"]).replace("-", " "), "shown": _fmt_value(m["value"])}


def _bars(conn: Any, urls: _Urls, slugs: list[str]) -> dict[str, Any]:
    """What each shown outcome gets: additional vs business as usual."""
    bring = _rows(conn, f"""
        select o.slug as outcome, o.title as title, count(c.id) as total,
               coalesce(sum(c.additional), 0) as additional
        from outcomes o left join contributions c on c.outcome = o.slug
        where o.slug in ({_marks(slugs)})
        group by o.slug order by total desc, o.title
    """, slugs)
    return bar_chart(bring, lambda o: urls.table("contributions", outcome=o))


def _matrix(conn: Any, urls: _Urls, outcome_list: list[dict[str, Any]]) -> dict[str, Any]:
    """Who does what: the shown outcomes x the partners most involved in them."""
    slugs = [o["slug"] for o in outcome_list]
    marks = _marks(slugs)
    cells = _rows(conn, f"""
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
    pnames = {r["slug"]: r["name"] for r in _rows(
        conn, f"select slug, name from partners where slug in ({_marks(partner_slugs)})", partner_slugs)}
    return {
        "partners": [{"slug": s, "name": pnames.get(s, s), "url": urls.row("partners", s)}
                     for s in partner_slugs],
        "rows": [{"outcome": o, "cells": [
            {**grid.get((o["slug"], s), {"stake": 0, "n": 0, "additional": 0}),
             "url": urls.table("who_does_what", outcome=o["slug"], partner=s)}
            for s in partner_slugs]} for o in outcome_list],
        "more_partners": max(len(involvement) - len(partner_slugs), 0),
        "url": urls.table("who_does_what"),
    }


def _verdicts(conn: Any, urls: _Urls) -> list[dict[str, Any]]:
    """Step 3's verdict on each outcome with needs, reboots first."""
    verdicts = _rows(conn, """
        select * from outcome_verdicts where needs > 0
        order by case verdict when 'reboot' then 0 when 'at-risk' then 1
                 when 'on-course' then 2 else 3 end, title limit ?""", [SHOWN])
    for v in verdicts:
        v["badge"] = _badge(v["verdict"])
        v["url"] = urls.table("outcome_verdicts", outcome=v["outcome"])
        v["gaps_url"] = urls.table("where_are_the_gaps", outcome=v["outcome"])
    return verdicts


def _gaps(conn: Any, urls: _Urls) -> tuple[list[dict[str, Any]], int]:
    """The gaps nobody has filled, collaboration killers first, and how many there are."""
    gaps = _rows(conn, """
        select * from where_are_the_gaps where state != 'met'
        order by coalesce(killer, 0) desc, coalesce(essential, 0) desc, outcome_title, need
        limit ?""", [SHOWN])
    open_gaps = _rows(conn, "select count(*) as n from where_are_the_gaps "
                            "where state != 'met'")[0]["n"]
    for g in gaps:
        g["badge"] = "bad" if g.get("killer") else _badge(g["state"])
        g["gap_shown"] = _fmt_value(g["gap"])
        g["url"] = urls.table("gaps", outcome=g["outcome"], need=g["need"])
    return gaps, open_gaps


def _ledger(conn: Any, urls: _Urls) -> tuple[list[dict[str, Any]], dict[str, Any], list[dict[str, Any]]]:
    """Who keeps their promises: per partner, in all, and quarter by quarter."""
    ledger = _rows(conn, "select * from who_keeps_promises where made > 0 "
                         "order by kept_rate desc, made desc, partner_name limit ?", [SHOWN])
    for row in ledger:
        row["url"] = urls.table("commitment_status", partner=row["partner"])
        row["pct"] = _pct(row.get("kept_rate"))
    promises = _rows(conn, """
        select coalesce(sum(made), 0) as made, coalesce(sum(kept), 0) as kept,
               coalesce(sum(kept_late), 0) as kept_late, coalesce(sum(open), 0) as open
        from who_keeps_promises""")[0]
    due = promises["made"] - promises["open"]
    promises["pct"] = round(100 * (promises["kept"] + promises["kept_late"]) / due) if due else None
    quarters = _rows(conn, "select * from kept_rate_by_quarter where made > open "
                           "order by quarter desc limit 6")
    for q in quarters:
        q["pct"] = _pct(q.get("kept_rate"))
        q["url"] = urls.table("kept_rate_by_quarter", quarter=q["quarter"])
    return ledger, promises, quarters


def _news(conn: Any, urls: _Urls) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The latest news: written updates, then changes to the records."""
    updates = _rows(conn, """
        select u.id, u.date, u.text, u.partner, pa.name as partner_name, u.outcome,
               o.title as outcome_title
        from updates u left join partners pa on pa.slug = u.partner
        left join outcomes o on o.slug = u.outcome
        order by u.date desc, u.id desc limit 8""")
    for u in updates:
        u["url"] = urls.row("updates", u["id"])
        u["outcome_url"] = urls.row("outcomes", u["outcome"])
    # the latest changes in words, grouped while publishing (written updates are above)
    changes = _rows(conn, "select id, day, text, changes, first_change, last_change "
                          "from change_news where entity != 'update' order by id limit 8")
    for ch in changes:
        ch["url"] = (urls.row("changes", ch["last_change"]) if ch["changes"] == 1 else urls.table(
            "changes", **{"id__gte": ch["first_change"], "id__lte": ch["last_change"]}))
    return updates, changes


def _reporting(conn: Any, urls: _Urls) -> dict[str, Any]:
    """How fresh each partner's reporting is (figures overdue and due, the last submission
    of theirs the lead accepted), most overdue first: counts and dates, never what was sent."""
    rows = _rows(conn, """
        select * from reporting_freshness where indicators_reported > 0 or accepted_submissions > 0
        order by figures_overdue desc, figures_due desc, partner_name limit ?""", [SHOWN])
    totals = _rows(conn, """
        select count(*) as partners, coalesce(sum(figures_overdue), 0) as overdue,
               coalesce(sum(figures_due), 0) as due,
               coalesce(sum(accepted_submissions > 0), 0) as reporting,
               coalesce(sum(indicators_reported > 0 or accepted_submissions > 0), 0) as shown
        from reporting_freshness""")[0]
    for r in rows:
        r["url"] = urls.table("reporting_freshness", partner=r["partner"])
        r["partner_url"] = urls.row("partners", r["partner"])
        r["badge"] = "bad" if r["figures_overdue"] else ("warn" if r["figures_due"] else "good")
    return {**totals, "rows": rows, "more": max(totals["shown"] - len(rows), 0),
            "url": urls.query("reporting-freshness"), "table_url": urls.table("reporting_freshness")}


def _pairs(conn: Any, urls: _Urls) -> list[dict[str, Any]]:
    """Unmentoring uptake, round by round (counts only: never who met whom)."""
    pairs = _rows(conn, "select * from pair_uptake order by round desc limit 6")
    for r in pairs:
        r["pct"] = _pct(r.get("uptake"))
        r["url"] = urls.table("pair_uptake", round=r["round"])
    return pairs


def _cards(urls: _Urls, counts: dict[str, Any], promises: dict[str, Any],
           meetings: dict[str, Any]) -> list[dict[str, Any]]:
    """The headline figures at the top of the page."""
    cards = [
        {"figure": counts["partners"], "label": "partners", "url": urls.table("partners")},
        {"figure": counts["outcomes"], "label": f"outcomes, {counts['shared']} shared",
         "title": "shared: two or more partners hold a stake in it",
         "url": urls.table("outcomes")},
        {"figure": counts["contributions"], "label": "contributions", "url": urls.table("contributions")},
        {"figure": f"{counts['additional_pct']}%", "label": "new because of the partnership",
         "url": urls.table("contributions", additional=1)},
    ]
    if promises["pct"] is not None:
        cards.append({"figure": f"{promises['pct']}%", "label": "of promises due were kept",
                      "url": urls.table("ledger")})
    cards.append({"figure": _fmt_value(meetings["person_hours_saved"]),
                  "label": "person-hours saved by meetings avoided",
                  "url": urls.query("meetings-held-and-avoided")})
    return cards


def _views(conn: Any, urls: _Urls) -> list[dict[str, Any]]:
    """Every view of the file, in the order publish created them (the file is the source
    of truth, so plain Datasette in a fresh process lists the same links)."""
    return [{"name": r["name"], "url": urls.table(r["name"])} for r in _rows(
        conn, "select name from sqlite_master where type = 'view' order by rowid")]


def _links(urls: _Urls) -> dict[str, str]:
    """The page's "see all" links."""
    return {
        "outcomes": urls.table("outcomes"), "partners": urls.table("partners"),
        "contributions": urls.table("contributions"),
        # the "see all" links go to table pages (50 rows a page, with filters, sorting and
        # downloads) stored in the order of the question they answer: a canned query page
        # of the same question renders up to 1,000 rows at once (bench/bench_dashboard.py)
        "outcomes_going": urls.table("outcome_public_status"),
        "is_it_working": urls.table("is_it_working"),
        "freshness": urls.table("indicator_freshness"),
        "statuses": urls.table("outcome_public_status"),
        "stories": urls.table("story_notes"),
        "who_does_what": urls.table("who_does_what"),
        "who_does_what_table": urls.table("who_does_what"),
        "gaps": urls.table("where_are_the_gaps", state__not="met"),
        "verdicts": urls.table("outcome_verdicts", _sort_desc="killers"),
        "ledger": urls.table("ledger"),
        "commitments": urls.table("commitment_status"),
        "quarters": urls.table("kept_rate_by_quarter"),
        "updates": urls.table("updates"),
        "changes": urls.table("changes"),
        "meetings": urls.query("meetings-held-and-avoided"),
        "hours": urls.query("hours-saved"),
        "governance": urls.query("governance"),
        "pairs": urls.query("unmentoring-uptake"),
        "feed": urls.query("feed") + ".atom",
        "database": urls.database,
    }


# -- figures and charts ------------------------------------------------------------------------


def _fmt_value(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return "" if v is None else str(v)
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return str(v)
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _day(value: Any) -> float | None:
    try:
        return float(dt.date.fromisoformat(str(value)[:10]).toordinal())
    except (TypeError, ValueError):
        return None


W, H, PAD_L, PAD_R, PAD_T, PAD_B = 320, 150, 44, 12, 12, 22


def line_chart(series: list[dict[str, Any]], ind: dict[str, Any],
               notes: list[dict[str, Any]] | None = None) -> dict[str, Any] | None:
    """Coordinates of an SVG line chart: observations, baseline and target, and a
    numbered mark at the date of each story note."""
    points = [(day, float(r["value"])) for r in series
              if (day := _day(r["date"])) is not None and isinstance(r["value"], (int, float))]
    if not points:
        return None
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    target = ind.get("target") if isinstance(ind.get("target"), (int, float)) else None
    baseline = ind.get("baseline") if isinstance(ind.get("baseline"), (int, float)) else None
    target_x = _day(ind.get("target_date"))
    if target_x is not None:
        xs.append(target_x)
    dated = [(dict(n), day) for n in notes or [] if (day := _day(n.get("date"))) is not None]
    xs += [day for _, day in dated]
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
        "title": ind.get("indicator_title") or ind["indicator"],
        "notes": [{**n, "number": i, "x": sx(day)} for i, (n, day) in enumerate(dated, 1)],
        "top": PAD_T,
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
