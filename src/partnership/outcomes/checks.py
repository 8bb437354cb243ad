"""Built-in checks for steps 1 and 2 of the method, registered like any plugin's."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from partnership.checks import Check, Finding, Severity
from partnership.readonly import ReadOnlyView

#: verbs that open an activity ("hold quarterly meetings") rather than an outcome
ACTIVITY_VERBS = (
    "hold", "holding", "launch", "launching", "run", "running", "set up", "setting up",
    "create", "creating", "establish", "establishing", "organise", "organize", "host",
    "build", "commission", "implement", "introduce", "hire", "recruit", "write", "draft",
    "meet", "attend", "conduct", "carry out", "install", "roll out", "publish", "produce",
    "deliver", "develop", "hold regular", "convene", "arrange", "design", "procure",
)
#: words that name activities or outputs when an outcome is built around them
ACTIVITY_NOUNS = (
    "meeting", "meetings", "website", "newsletter", "conference", "steering group",
    "working group", "action plan", "strategy document", "away day", "workshop",
    "leaflet", "app", "portal", "forum",
)
_VERB_RE = re.compile(r"^(?:to\s+)?(?:" + "|".join(re.escape(v) for v in ACTIVITY_VERBS) + r")\b", re.I)
_NOUN_RE = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in ACTIVITY_NOUNS) + r")\b", re.I)

LIVE = "status NOT IN ('dropped', 'achieved')"


def activity_phrasing(title: str) -> str | None:
    """Why ``title`` reads as an activity rather than an outcome, or None."""
    match = _VERB_RE.match(title.strip())
    if match:
        return f"it starts with '{match.group(0).strip().lower()}', which is something partners do"
    match = _NOUN_RE.search(title)
    if match:
        return f"it is about a {match.group(0).lower()}, which is an output, not a change for people"
    return None


def not_shared(view: ReadOnlyView) -> Iterator[Finding]:
    rows = view.query(
        f"""SELECT o.slug, count(s.partner) AS n, group_concat(s.partner, ', ') AS who
            FROM outcomes o LEFT JOIN stakes s ON s.outcome = o.slug
            WHERE o.{LIVE} GROUP BY o.slug HAVING n < 2 ORDER BY o.slug"""
    )
    for r in rows:
        held = f"only {r['who']} holds a stake" if r["n"] else "no partner holds a stake"
        yield Finding(
            rule="not-shared", subject=f"outcome {r['slug']}", step=1,
            message=f"outcome {r['slug']} is not shared: {held}",
            advice="an outcome is shared when at least two partners have a stake in it; "
                   "find a second partner with a stake, or let the single partner pursue it alone",
        )


def not_open(view: ReadOnlyView) -> Iterator[Finding]:
    rows = view.query(
        f"""SELECT s.outcome, s.partner FROM stakes s JOIN outcomes o ON o.slug = s.outcome
            WHERE trim(s.motivation) = '' AND o.{LIVE} ORDER BY s.outcome, s.partner"""
    )
    for r in rows:
        yield Finding(
            rule="not-open", subject=f"outcome {r['outcome']}", step=1,
            message=f"{r['partner']} has not said why it collaborates on {r['outcome']}",
            advice="each partner states its motivation openly; record it with "
                   f"'stake update {r['outcome']} {r['partner']} --motivation ...'",
            severity=Severity.WARNING,
        )


def not_an_outcome(view: ReadOnlyView) -> Iterator[Finding]:
    for r in view.query(f"SELECT slug, title, beneficiaries FROM outcomes WHERE {LIVE} ORDER BY slug"):
        why = activity_phrasing(r["title"])
        if why:
            yield Finding(
                rule="not-an-outcome", subject=f"outcome {r['slug']}", step=1,
                message=f"'{r['title']}' reads as an activity: {why}",
                advice="phrase it as the change the partners want to see for people, e.g. "
                       "'fewer residents suffer repeated anti-social behaviour'",
            )
        if not r["beneficiaries"].strip():
            yield Finding(
                rule="no-beneficiaries", subject=f"outcome {r['slug']}", step=1,
                message=f"outcome {r['slug']} does not say who it is for",
                advice="name the people the partners are trying to help with --beneficiaries",
            )


def in_name_only(view: ReadOnlyView) -> Iterator[Finding]:
    rows = view.query(
        f"""SELECT o.slug, count(c.id) AS n, coalesce(sum(c.additional), 0) AS n_additional
            FROM outcomes o LEFT JOIN contributions c ON c.outcome = o.slug
            WHERE o.{LIVE} GROUP BY o.slug HAVING n_additional = 0 ORDER BY o.slug"""
    )
    for r in rows:
        if r["n"] == 0:
            message = f"nobody contributes anything to {r['slug']}"
        else:
            its = (f"the one contribution to {r['slug']} is" if r["n"] == 1
                   else f"all {r['n']} contributions to {r['slug']} are")
            message = f"{its} business as usual: nothing is new because of the partnership"
        yield Finding(
            rule="in-name-only", subject=f"outcome {r['slug']}", step=2,
            message=f"collaboration in name only: {message}",
            advice="agree what each partner will bring that it would not have done anyway, "
                   "and record it with --additional",
        )


def register_checks(register: Callable[[Check], None]) -> None:
    register(Check(name="not-shared", step=1, run=not_shared,
                   description="An outcome needs at least two partners with a stake."))
    register(Check(name="not-open", step=1, run=not_open,
                   description="Every stake states the partner's motivation openly."))
    register(Check(name="not-an-outcome", step=1, run=not_an_outcome,
                   description="An outcome is a change for named beneficiaries, not an activity."))
    register(Check(name="in-name-only", step=2, run=in_name_only,
                   description="An outcome needs at least one additional contribution."))
