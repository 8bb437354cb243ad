"""Everything a board pack shows, read from the working file in a few bulk queries.

:func:`gather` returns plain data (dicts and lists, no SQL, no HTML) that
:mod:`partnership.reporting.boardpack.render` lays out. Each table is read once and
grouped by outcome in Python, so a county-size partnership (hundreds of outcomes,
a thousand indicators) costs a handful of queries, not a few per outcome.

The figures come from the library's own definitions: the plain public status per
outcome (:func:`partnership.outcomes.status.outcome_statuses`), the indicators' figures
and freshness (``p.measure.status``), the gaps and their verdicts (``p.gaps``), the
commitments' derived status (``partnership.commitments.service.status_sql``), the
checks (``p.check``) and the plain-English change summaries
(:mod:`partnership.narrative`), who reports each indicator (the partner inbox's
``REPORTERS_SQL``). Nothing is computed here that another feature defines.

Contact details (email, phone) are read only when ``private`` is set, into the
``contacts`` section; the change summaries use the public wording unless ``private``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from partnership.api import Partnership

#: promises falling due within this many days are listed as "due" on the first page
DUE_SOON_DAYS = 30
#: at most this many lines of "what changed" and of check problems on the first page
FIRST_PAGE_LINES = 6
#: checks whose findings the first page shows in their own section (killers, promises, stale)
SHOWN_ELSEWHERE = frozenset({"collaboration-killer", "overdue-commitment", "stale-indicator"})


def _by(rows: list[dict[str, Any]], key: str) -> dict[Any, list[dict[str, Any]]]:
    grouped: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        grouped[r[key]].append(r)
    return grouped


def _unit(unit: str, indicator_unit: str) -> str:
    """A metric's unit as it reads after a value ('%', 'people'); a unit that is really a
    sentence ('yes (1) or no (0)') stays in the metric's description instead."""
    if unit == "same as indicator":
        return indicator_unit
    return unit if len(unit) <= 16 and "(" not in unit else ""


def _current(c: dict[str, Any], since: str | None) -> bool:
    """A promise the board still needs to see: open or overdue, or settled since ``since``."""
    if c["status"] in ("open", "overdue"):
        return True
    settled = c["delivered_on"] or c["withdrawn_on"] or ""
    return since is None or settled >= since


def _checks_by_rule(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings grouped by rule (in their order), with the advice once when it is the same."""
    groups: dict[str, dict[str, Any]] = {}
    for f in findings:
        g = groups.setdefault(f["rule"], {"rule": f["rule"], "severity": f["severity"], "step": f["step"],
                                          "findings": []})
        g["findings"].append(f)
    for g in groups.values():
        advice = {f["advice"] for f in g["findings"]}
        g["advice"] = advice.pop() if len(advice) == 1 else None
    return list(groups.values())


def gather(p: Partnership, *, since: str | None = None, private: bool = False) -> dict[str, Any]:
    """The board pack's content (see the module docstring)."""
    from partnership.commitments.service import show_ref, status_sql
    from partnership.inbox.service import REPORTERS_SQL
    from partnership.metrics import collect_metrics
    from partnership.narrative import read_names, stories
    from partnership.outcomes.status import STATUS_MEANINGS, STATUSES, freshness_sql, outcome_statuses

    q = p.store.query
    today = p.today()
    info = p.info()
    # the indicators' figures (refreshed first when out of date; a read-only file is read as it is)
    measured = p.measure.status()
    statuses = outcome_statuses(p, refresh=False)

    # -- since when ---------------------------------------------------------------------------
    # the meeting (or date) and the written updates since, as the meetings feature defines them
    changed = p.updates.since(since)
    since_date = changed["since"]
    change_rows = q("SELECT id, at, action, entity, key, summary, data FROM changes WHERE entity != 'update'"
                    + (" AND at >= ?" if since_date else "") + " ORDER BY id",
                    [since_date] if since_date else [])
    names = read_names(p.store.conn)
    told = [s.text for s in stories(change_rows, names, public=not private)]

    # -- names ------------------------------------------------------------------------------------
    partners = {r["slug"]: r["name"] for r in q("SELECT slug, name FROM partners")}
    people = {r["slug"]: r for r in q(
        "SELECT slug, name, partner, role" + (", email, phone" if private else "") + " FROM people "
        "ORDER BY partner, name")}

    def person(slug: str | None) -> str:
        return people[slug]["name"] if slug and slug in people else (slug or "")

    # -- commitments --------------------------------------------------------------------------------
    commitments = q(f"SELECT * FROM ({status_sql(':today')}) ORDER BY due, id",
                    {"today": today.isoformat()})
    for c in commitments:
        c["ref"] = show_ref(c["id"])
        c["partner_name"] = partners.get(c["partner"], c["partner"])
        c["owner_name"] = person(c["owner"])
    soon = (today + dt.timedelta(days=DUE_SOON_DAYS)).isoformat()
    due = [c for c in commitments if c["status"] == "open" and c["due"] <= soon]
    broken = [c for c in commitments if c["status"] == "overdue"
              or (c["status"] == "withdrawn" and (not since_date or (c["withdrawn_on"] or "") >= since_date))]

    # -- figures ------------------------------------------------------------------------------------
    fresh = {r["indicator"]: r for r in q(freshness_sql(":today"), {"today": today.isoformat()})}
    # who reports each indicator: the partner inbox's rule (named reporters, else the
    # stakeholders and the activity's partner)
    reporters: dict[str, list[str]] = defaultdict(list)
    for r in q(f"SELECT indicator, partner FROM ({REPORTERS_SQL}) ORDER BY indicator, partner"):
        reporters[r["indicator"]].append(partners.get(r["partner"], r["partner"]))
    observations = _by(q("SELECT indicator, date, value FROM observations ORDER BY indicator, date"),
                       "indicator")
    notes = _by(q("SELECT indicator, date, kind, text, author FROM story_notes "
                  "ORDER BY indicator, date, id"), "indicator")
    metric_info = {m.name: m for m in collect_metrics(p.plugin_manager)}
    latest_values: dict[str, dict[str, Any]] = defaultdict(dict)
    for r in q("SELECT metric, indicator, period, value FROM metric_values "
               "ORDER BY indicator, metric, period"):
        latest_values[r["indicator"]][r["metric"]] = r  # the last period wins
    indicators_by_outcome: dict[str, list[dict[str, Any]]] = {}
    stale: list[dict[str, Any]] = []
    for o in measured["outcomes"]:
        inds = []
        for i in o["indicators"]:
            f = fresh.get(i["indicator"], {})
            metrics = [
                {"name": name, "value": r["value"], "period": r["period"],
                 "unit": _unit(metric_info[name].unit if name in metric_info else "", i["unit"]),
                 "description": metric_info[name].description if name in metric_info else ""}
                for name, r in sorted(latest_values.get(i["indicator"], {}).items())]
            ind = {**i, "observations": observations.get(i["indicator"], []),
                   "story": [{**n, "author_name": person(n["author"])}
                             for n in notes.get(i["indicator"], [])],
                   "stale_since": f.get("stale_since"), "due": f.get("due"),
                   "reported_by": ", ".join(reporters.get(i["indicator"], [])),
                   "metrics": metrics}
            inds.append(ind)
            if ind["stale_since"]:
                stale.append({**ind, "outcome": o["outcome"], "outcome_title": o["title"]})
        indicators_by_outcome[o["outcome"]] = inds
    stale.sort(key=lambda i: (i["stale_since"], i["indicator"]))
    # every measure shown, described once (built-in and plugin metrics alike)
    used = sorted({m["name"] for inds in indicators_by_outcome.values() for i in inds for m in i["metrics"]})
    metrics_used = [{"name": name, "unit": metric_info[name].unit if name in metric_info else "",
                     "description": metric_info[name].description if name in metric_info else ""}
                    for name in used]
    partnership_metrics = [
        {**r, "description": metric_info[r["metric"]].description if r["metric"] in metric_info else "",
         "unit": _unit(metric_info[r["metric"]].unit if r["metric"] in metric_info else "", "")}
        for r in measured["partnership_metrics"]]

    # -- who does what, and the gaps -------------------------------------------------------------------
    outcomes = q("SELECT slug, title, description, beneficiaries, status FROM outcomes ORDER BY slug")
    stakes = _by(q("SELECT outcome, partner, motivation FROM stakes ORDER BY partner"), "outcome")
    contributions = _by(q("SELECT id, outcome, partner, kind, description, amount, unit, additional "
                          "FROM contributions ORDER BY partner, id"), "outcome")
    activities = _by(q("""SELECT ao.outcome, a.slug, a.title, a.partner, a.status
                          FROM activity_outcomes ao JOIN activities a ON a.slug = ao.activity
                          ORDER BY a.partner, a.slug"""), "outcome")
    gaps = p.gaps.gaps()
    gaps_by_outcome = _by(gaps, "outcome")
    killers = [g for g in gaps if g["killer"]]
    by_outcome_commitments = _by([c for c in commitments if c["outcome"]], "outcome")
    pages = []
    for o in outcomes:
        s = statuses[o["slug"]]
        pages.append({
            **o, "view": s.to_dict(),
            "indicators": indicators_by_outcome.get(o["slug"], []),
            "stakes": [{**r, "partner_name": partners.get(r["partner"], r["partner"])}
                       for r in stakes.get(o["slug"], [])],
            "contributions": [{**r, "partner_name": partners.get(r["partner"], r["partner"])}
                              for r in contributions.get(o["slug"], [])],
            "activities": [{**r, "partner_name": partners.get(r["partner"], r["partner"])}
                           for r in activities.get(o["slug"], [])],
            "gaps": gaps_by_outcome.get(o["slug"], []),
            # the promises still to keep, and those settled since the last meeting; the
            # rest are counted (the ledger has them all)
            "commitments": [c for c in by_outcome_commitments.get(o["slug"], []) if _current(c, since_date)],
            "settled_earlier": sum(1 for c in by_outcome_commitments.get(o["slug"], [])
                                   if not _current(c, since_date)),
        })
    for k in killers:
        k["outcome_title"] = statuses[k["outcome"]].title if k["outcome"] in statuses else k["outcome"]

    # -- checks ---------------------------------------------------------------------------------------
    findings = [f.to_dict() for f in p.check()]
    rank = {"problem": 0, "warning": 1, "info": 2}
    findings.sort(key=lambda f: (rank.get(f["severity"], 3), f["step"], f["rule"], f["subject"]))

    # -- meetings -------------------------------------------------------------------------------------
    meetings = q("SELECT slug, date, minutes, title, chair, status, note FROM meetings "
                 "ORDER BY date DESC, slug")
    decisions = _by(q("SELECT meeting, text FROM decisions ORDER BY id"), "meeting")
    actions = _by(q("SELECT meeting, owner, what, due, commitment FROM actions ORDER BY id"), "meeting")
    attended = {r["meeting"]: r["n"] for r in q(
        "SELECT meeting, count(*) AS n FROM attendance GROUP BY meeting")}
    invited = {r["meeting"]: r["n"] for r in q(
        "SELECT meeting, count(*) AS n FROM invitees WHERE dropped = 0 GROUP BY meeting")}
    for m in meetings:
        m["chair_name"] = person(m["chair"])
        m["decisions"] = [d["text"] for d in decisions.get(m["slug"], [])]
        m["actions"] = [{**a, "owner_name": person(a["owner"])} for a in actions.get(m["slug"], [])]
        m["attended"] = attended.get(m["slug"], 0)
        m["invited"] = invited.get(m["slug"], 0)

    counts = {word: sum(1 for s in statuses.values() if s.status == word) for word in STATUSES}
    return {
        "partnership": {"name": info.name, "purpose": info.purpose, "website": info.website},
        "as_of": today.isoformat(),
        "private": private,
        "since": since_date, "since_meeting": changed["meeting"],
        "status_words": list(STATUSES), "status_meanings": STATUS_MEANINGS, "status_counts": counts,
        "verdicts": [s.to_dict() for s in statuses.values()],
        "changes": told, "updates": [{**u, "partner_name": partners.get(u["partner"], u["partner"]),
                                      "author_name": person(u.get("author"))}
                                     for u in changed["updates"]],
        "killers": killers,
        "findings": findings,
        "first_page_findings": [f for f in findings if f["rule"] not in SHOWN_ELSEWHERE],
        "findings_by_rule": _checks_by_rule(findings),
        "problems": sum(1 for f in findings if f["severity"] == "problem"),
        "warnings": sum(1 for f in findings if f["severity"] == "warning"),
        "due": due, "broken": broken, "due_soon_days": DUE_SOON_DAYS,
        "stale": stale,
        "outcomes": pages,
        "partnership_metrics": partnership_metrics,
        "metrics_used": metrics_used,
        "ledger": p.commitments.ledger(),
        "meetings": meetings,
        "refresh_problem": measured.get("refresh_problem"),
        "metric_problems": measured.get("metric_problems", []),
        "first_page_lines": FIRST_PAGE_LINES,
        "contacts": list(people.values()) if private else [],
        "partner_names": partners,
    }
