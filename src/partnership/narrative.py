"""The change log in plain English, for people rather than for the record.

The change log says ``add commitment 7`` or ``agenda need 5/jo-bloggs``: exact, and
useless to a reader. :func:`describe` words one change from its row (``action``,
``entity``, ``key``, ``summary`` and, where the row has it, its ``data``) and the names of
the records it refers to: "Lancashire Constabulary promised to share weekly hotspot data
by 31 January 2026". :func:`group` words many at once, folding changes of one kind about
one thing into one line: "3 figures recorded for repeat-victims", "5 people invited to
Partnership board, January".

``names`` maps a kind of record to a lookup from slug (or id) to its name:
``{"partner": {"county-police": "County Police"}, "indicator": {...}}``;
:func:`read_names` reads it from an open working or public database. A slug with no name
is shown as it is.

What it never says: personal contact details (no field of a change that holds one is
read), private notes, or anything about a record that is not public: such changes are
logged as counts ("12 pairings added") and stay counts here. With ``public=True`` the
private fields of public records are left out too (who answered a self-assessment), so
the public page and feed can use the same words.

Nothing here touches the database except :func:`read_names`; the service that lists
changes (``p.updates.since``, publishing) passes the rows in.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from .words import plural

__all__ = ["Story", "as_row", "describe", "group", "read_names", "stories"]

Names = Mapping[str, Mapping[Any, str]]
Row = Mapping[str, Any]
#: a change as callers hold it: a mapping (a query's row), an ``sqlite3.Row`` or a
#: :class:`partnership.models.Change`
Change = Row | sqlite3.Row | Any

#: what :func:`read_names` reads: kind -> (table, key column, name column)
NAME_SOURCES: dict[str, tuple[str, str, str]] = {
    "partner": ("partners", "slug", "name"),
    "person": ("people", "slug", "name"),
    "outcome": ("outcomes", "slug", "title"),
    "indicator": ("indicators", "slug", "title"),
    "meeting": ("meetings", "slug", "title"),
    "area": ("assessment_areas", "slug", "name"),
    "activity": ("activities", "slug", "title"),
    "commitment": ("commitments", "id", "what"),
    "commitment-partner": ("commitments", "id", "partner"),
    "contribution": ("contributions", "id", "description"),
    "contribution-partner": ("contributions", "id", "partner"),
    "agenda-meeting": ("agenda_items", "id", "meeting"),
}

#: longest quoted text in a sentence (updates, notes, decisions), in characters
TEXT_LIMIT = 100

_PAST = {"add": "added", "update": "updated", "remove": "removed", "import": "imported",
         "correct": "corrected", "upsert": "updated", "redraw": "redrawn", "undo": "undone"}


def read_names(conn: sqlite3.Connection) -> dict[str, dict[Any, str]]:
    """Every name :func:`describe` may need, read from ``conn`` (a working or public
    database; a table it lacks gives no names)."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    names: dict[str, dict[Any, str]] = {}
    for kind, (table, key, name) in NAME_SOURCES.items():
        if table not in tables:
            names[kind] = {}
            continue
        try:
            rows = conn.execute(f'SELECT "{key}", "{name}" FROM "{table}"').fetchall()
        except sqlite3.Error:  # an older file without the column
            rows = []
        names[kind] = {k: v for k, v in rows if v is not None}
        # ids arrive as text in change-log keys
        names[kind].update({str(k): v for k, v in rows if v is not None and not isinstance(k, str)})
    # needs are keyed by outcome and slug, as the change log writes them: "outcome/need"
    names["need"] = {}
    if "needs" in tables:
        try:
            names["need"] = {f"{o}/{n}": d for o, n, d in conn.execute(
                "SELECT outcome, slug, description FROM needs") if d}
        except sqlite3.Error:
            pass
    return names


# -- small helpers ---------------------------------------------------------------------------


def as_row(change: Change) -> Row:
    """A change as a mapping, whatever form the caller holds it in."""
    if isinstance(change, Mapping):
        return change
    if isinstance(change, sqlite3.Row):
        return {k: change[k] for k in change.keys()}
    if attrs.has(type(change)):
        return attrs.asdict(change)
    raise TypeError(f"not a change-log row: {change!r}")


def _data(row: Row) -> dict[str, Any]:
    raw = row.get("data")
    if isinstance(raw, Mapping):
        return dict(raw)
    if isinstance(raw, str) and raw:
        try:
            value = json.loads(raw)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}
    return {}


def _name(names: Names, kind: str, key: Any) -> str:
    if key is None or key == "":
        return ""
    lookup = names.get(kind) or {}
    found = lookup.get(key)
    if found is None:
        found = lookup.get(str(key))
    return str(found) if found else str(key)


def _q(names: Names, kind: str, key: Any) -> str:
    """The name of a record, in quotation marks (a title reads as one in a sentence)."""
    return f"\u201c{_name(names, kind, key)}\u201d"


def _short(text: Any, limit: int = TEXT_LIMIT) -> str:
    s = " ".join(str(text or "").split())
    return s if len(s) <= limit else s[: limit - 1].rstrip() + "…"


def long_date(value: Any) -> str:
    """'2026-01-31' -> '31 January 2026' (other text as it is)."""
    try:
        d = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value or "")
    return f"{d.day} {d.strftime('%B')} {d.year}"


def _verb_phrase(what: str) -> str:
    """'Fund a worker' -> 'fund a worker' (but 'ASB reports' stays as it is)."""
    what = _short(what).rstrip(".")
    if len(what) > 1 and what[0].isupper() and what[1].islower():
        return what[0].lower() + what[1:]
    return what


def _first(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _key_part(row: Row, index: int) -> str:
    parts = str(row.get("key") or "").split("/")
    return parts[index] if len(parts) > index else ""


def _in_parentheses(summary: str) -> str:
    found = re.search(r"\((.*)\)", summary)
    return found.group(1) if found else ""


def _changed(data: dict[str, Any]) -> dict[str, Any]:
    changed = data.get("changed")
    return changed if isinstance(changed, dict) else {}


def _fields(data: dict[str, Any]) -> str:
    return ", ".join(k.replace("_", " ") for k in _changed(data))


def _past(action: str) -> str:
    return _PAST.get(action) or (action + ("d" if action.endswith("e") else "ed"))


# -- one change ---------------------------------------------------------------------------------


def describe(change: Change, names: Names, *, public: bool = False) -> str:
    """One change in plain English.

    ``change`` is a change-log row (``action``, ``entity``, ``key``, ``summary`` and, when
    known, ``data``); ``names`` the names of the records (see :func:`read_names`). With
    ``public`` the private fields of public records are left out."""
    change = as_row(change)
    action = str(change.get("action") or "")
    entity = str(change.get("entity") or "")
    summary = str(change.get("summary") or "")
    if change.get("key") == "-":  # a record that is not public: its count, as logged
        return _first(summary)
    wording = _WORDING.get((action, entity)) or _WORDING.get(("*", entity))
    if wording is not None:
        try:
            text = wording(change, _data(change), names, public)
        except (KeyError, TypeError, ValueError, AttributeError):
            text = ""
        if text:
            return text
    return _fallback(change)


def _fallback(change: Row) -> str:
    """The change log's own summary, with the action in words."""
    action = str(change.get("action") or "")
    entity = str(change.get("entity") or "")
    summary = str(change.get("summary") or "")
    if action == "add" and summary.startswith(entity):
        return _first(summary) + " added"
    if action in ("update", "remove", "correct", "undo") and summary.startswith(entity):
        return _first(summary) + ("" if action == "update" and "changed" in summary else " " + _past(action))
    return _first(summary or f"{entity} {change.get('key', '')} {_past(action)}")


#: the words for one kind of change: (row, its data, names, public) -> a sentence, or ''
#: (or a KeyError for data it lacks) to fall back on the log's own summary
Wording = Callable[[Row, dict[str, Any], Names, bool], str]
_WORDING: dict[tuple[str, str], Wording] = {}


def _words(action: str, *entities: str) -> Callable[[Wording], Wording]:
    def add(fn: Wording) -> Wording:
        for entity in entities:
            _WORDING[(action, entity)] = fn
        return fn
    return add


@_words("add", "partnership")
def _partnership(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    return f"The partnership was set up: {d['name']}"


@_words("update", "partnership")
def _partnership_changed(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    return f"The partnership's {_fields(d) or 'details'} changed"


@_words("add", "partner")
def _partner(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    return f"{d.get('name') or _name(names, 'partner', row.get('key'))} joined the partnership"


@_words("add", "person")
def _person(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    return f"{d['name']} of {_name(names, 'partner', d.get('partner'))} joined the partnership"


@_words("add", "outcome")
def _outcome(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    stage = d.get("status") or "proposed"
    return f"New outcome {stage}: {d['title']}"


@_words("update", "outcome")
def _outcome_changed(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    title = _name(names, "outcome", row.get("key"))
    status = _changed(d).get("status")
    if status:
        return f"Outcome \u201c{title}\u201d is now {status}"
    return f"Outcome \u201c{title}\u201d: {_fields(d) or 'details'} changed"


@_words("add", "stake")
def _stake(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    return (f"{_name(names, 'partner', d['partner'])} took a stake in "
            f"{_q(names, 'outcome', d['outcome'])}")


@_words("add", "contribution")
def _contribution(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    new = " (new because of the partnership)" if d.get("additional") else ""
    return (f"{_name(names, 'partner', d['partner'])} offered {_verb_phrase(d['description'])} "
            f"for {_q(names, 'outcome', d['outcome'])}{new}")


@_words("update", "contribution")
def _contribution_changed(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    key = row.get("key")
    what = _name(names, "contribution", key) if (names.get("contribution") or {}).get(str(key)) \
        else _in_parentheses(str(row.get("summary") or ""))
    partner = (names.get("contribution-partner") or {}).get(str(key))
    if "meets" in _changed(d) and len(_changed(d)) == 1:
        need = _changed(d)["meets"]
        verb = f"now meets the need {need}" if need else "no longer meets a need"
    else:
        verb = f"changed ({_fields(d)})"
    owner = f"{_name(names, 'partner', partner)}'s contribution" if partner else "The contribution"
    return f"{owner} \u201c{_short(what, 60)}\u201d {verb}"


@_words("add", "need")
def _need(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    essential = "an essential need" if d.get("essential") else "a need"
    return (f"{_q(names, 'outcome', d['outcome'])} has {essential}: "
            f"{_verb_phrase(d.get('description') or d['slug'])}")


@_words("add", "capacity")
def _capacity(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    amount = d.get("amount")
    shown = (f"{amount:,.0f}" if float(amount).is_integer() else f"{amount:,}") \
        if isinstance(amount, (int, float)) else str(amount)
    kind = f" ({d['kind']})" if d.get("kind") else ""
    return f"{_name(names, 'partner', d['partner'])} said what it can give: {shown} {d.get('unit', '')}{kind}"


@_words("add", "gap")
@_words("update", "gap")
def _gap(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    outcome_slug = d.get("outcome") or _key_part(row, 0)
    outcome = _name(names, "outcome", outcome_slug)
    slug = d.get("need") or _key_part(row, 1)
    described = (names.get("need") or {}).get(f"{outcome_slug}/{slug}")
    need = f"\u201c{_verb_phrase(described)}\u201d" if described else slug
    state = (_changed(d) or d).get("state")
    if state == "seeking":
        who = (_changed(d) or d).get("candidate")
        return f"The need {need} of \u201c{outcome}\u201d is being sought" + (f" from {who}" if who else "")
    if state == "accepted":
        return f"\u201c{outcome}\u201d can do without {need}"
    if state == "filled-externally":
        return f"The need {need} of \u201c{outcome}\u201d is met from outside the partnership"
    if state == "open":
        return f"The need {need} of \u201c{outcome}\u201d is an open gap again"
    return ""


@_words("add", "meeting")
def _meeting(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    return f"Meeting proposed: {d['title']} on {long_date(d['date'])}"


@_words("update", "meeting")
def _meeting_changed(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    title = _name(names, "meeting", row.get("key"))
    status = _changed(d).get("status")
    if status == "held":
        return f"{title} was held"
    if status == "cancelled":
        note = _changed(d).get("note")
        return f"{title} was cancelled" + (f": {_short(note)}" if note else "")
    if status:
        return f"{title} is now {status}"
    return f"{title}: {_fields(d) or 'details'} changed"


@_words("add", "invitee")
def _invitee(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    return f"{_name(names, 'person', d['person'])} invited to {_name(names, 'meeting', d['meeting'])}"


@_words("update", "invitee")
def _invitee_changed(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    person = _name(names, "person", _key_part(row, 1))
    meeting = _name(names, "meeting", _key_part(row, 0))
    if _changed(d).get("dropped"):
        return f"{person} is no longer needed at {meeting}"
    return f"{person} is invited to {meeting} again" if "dropped" in _changed(d) else ""


@_words("add", "agenda item")
def _agenda_item(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    return f"\u201c{_short(d['title'], 80)}\u201d on the agenda of {_name(names, 'meeting', d['meeting'])}"


@_words("add", "agenda need")
def _agenda_need(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    meeting = _name(names, "meeting", _name(names, "agenda-meeting", d.get("item")))
    return f"{_name(names, 'person', d['person'])} is needed for an item at {meeting}"


@_words("add", "attendance")
def _attendance(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    return f"{_name(names, 'person', d['person'])} attended {_name(names, 'meeting', d['meeting'])}"


@_words("add", "decision")
def _decision(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    return f"{_name(names, 'meeting', d['meeting'])} decided: {_short(d['text'])}"


@_words("add", "action")
def _action(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    due = f" by {long_date(d['due'])}" if d.get("due") else ""
    return (f"{_name(names, 'person', d['owner'])} agreed to {_verb_phrase(d['what'])}{due} "
            f"({_name(names, 'meeting', d['meeting'])})")


@_words("update", "action")
def _action_changed(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    if _changed(d).get("commitment"):
        return f"An action agreed in a meeting became promise C-{_changed(d)['commitment']}"
    return ""


@_words("add", "update")
def _update(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    return (f"{_name(names, 'partner', d['partner'])} on \u201c{_name(names, 'outcome', d['outcome'])}"
            f"\u201d: {_short(d['text'])}")


@_words("add", "unmentoring round")
def _round(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    return (f"Unmentoring round {row.get('key')} drawn: {plural(int(d['people']), 'person', 'people')} "
            f"in {plural(int(d['groups']), 'group')}")


@_words("update", "unmentoring group")
def _group_met(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    if _changed(d).get("met"):
        return f"An unmentoring group of round {_key_part(row, 0)} met"
    return ""


@_words("add", "assessment area")
def _area(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    return f"New self-assessment area: {d['name']}"


@_words("add", "self-assessment")
def _assessment(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    area = _name(names, "area", d["area"]).lower()
    if d.get("by") and not public:  # who assessed is private: never on the public page
        return f"{_name(names, 'person', d['by'])} answered the {area} self-assessment"
    return f"The {area} self-assessment was answered"


@_words("add", "governance answer")
def _governance(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    return f"Governance question {d['number']} answered: {_short(d['question'])}"


@_words("add", "activity")
def _activity(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    return f"New activity of {_name(names, 'partner', d['partner'])}: {d['title']}"


@_words("add", "activity outcome")
def _activity_outcome(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    return (f"{_q(names, 'activity', d['activity'])} now works toward "
            f"{_q(names, 'outcome', d['outcome'])}")


@_words("add", "indicator")
def _indicator(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    return f"New indicator {d['slug']} for {_q(names, 'outcome', d['outcome'])}: {d['title']}"


@_words("add", "observation")
def _observation(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    indicator = d.get("indicator") or _key_part(row, 0)
    date = d.get("date") or _key_part(row, 1)
    value = d.get("value")
    if isinstance(value, (int, float)):
        return f"A figure recorded for {indicator}: {value:g} for {long_date(date)}"
    return f"A figure recorded for {indicator} for {long_date(date)}"


@_words("update", "observation")
@_words("correct", "observation")
@_words("remove", "observation")
def _observation_changed(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    indicator, date = _key_part(row, 0), _key_part(row, 1)
    verb = {"remove": "removed"}.get(str(row.get("action")), "corrected")
    return f"The figure for {indicator} on {long_date(date)} was {verb}"


@_words("add", "story note")
def _story(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    return f"The story behind {d['indicator']}: {_short(d['text'])}"


@_words("add", "commitment")
def _commitment(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    return (f"{_name(names, 'partner', d['partner'])} promised to {_verb_phrase(d['what'])} "
            f"by {long_date(d['due'])}")


@_words("update", "commitment")
def _commitment_changed(row: Row, d: dict[str, Any], names: Names, public: bool) -> str:
    key = row.get("key")
    partner = _name(names, "partner", (names.get("commitment-partner") or {}).get(str(key))) or "A partner"
    what = (names.get("commitment") or {}).get(str(key))
    if what is None:  # the summary holds "(partner: what)"
        inside = _in_parentheses(str(row.get("summary") or ""))
        what = inside.split(": ", 1)[-1]
        if partner == "A partner" and ": " in inside:
            partner = _name(names, "partner", inside.split(": ", 1)[0])
    changed = _changed(d)
    state = changed.get("state")
    promise = f"its promise to {_verb_phrase(str(what))}"
    if state == "delivered":
        return f"{partner} kept {promise}"
    if state == "withdrawn":
        return f"{partner} withdrew {promise}"
    if state == "open":
        return f"{partner}'s promise to {_verb_phrase(str(what))} is open again"
    if "due" in changed:
        return f"{partner} moved the date of {promise} to {long_date(changed['due'])}"
    fields = _fields(d)
    return (f"{partner}'s promise to {_verb_phrase(str(what))} was updated"
            + (f" ({fields})" if fields else ""))


# -- many changes at once --------------------------------------------------------------------


@attrs.define(kw_only=True)
class Story:
    """Changes of one kind about one thing, worded as one line."""

    text: str
    count: int
    #: the newest change's time, and the first and last change ids of the group
    at: str
    first_id: int | None
    last_id: int | None
    action: str
    entity: str


#: what groups changes, per (action, entity): the field (or key part) they share, and the
#: line for n of them given that shared thing's name
_TOPIC: dict[tuple[str, str], tuple[str, Callable[[int, str, Names], str]]] = {
    ("add", "observation"): ("indicator", lambda n, t, _: f"{n} figures recorded for {t}"),
    ("add", "invitee"): ("meeting", lambda n, t, nm: f"{n} people invited to {_name(nm, 'meeting', t)}"),
    ("add", "attendance"): ("meeting", lambda n, t, nm: f"{n} people attended {_name(nm, 'meeting', t)}"),
    ("add", "agenda item"): ("meeting",
                             lambda n, t, nm: f"{n} items on the agenda of {_name(nm, 'meeting', t)}"),
    ("add", "agenda need"): ("", lambda n, t, nm: f"{n} people marked as needed for agenda items"),
    ("add", "decision"): ("meeting", lambda n, t, nm: f"{n} decisions taken at {_name(nm, 'meeting', t)}"),
    ("add", "action"): ("meeting", lambda n, t, nm: f"{n} actions agreed at {_name(nm, 'meeting', t)}"),
    ("add", "stake"): ("outcome",
                       lambda n, t, nm: f"{n} partners took a stake in {_q(nm, 'outcome', t)}"),
    ("add", "need"): ("outcome", lambda n, t, nm: f"{n} needs recorded for {_q(nm, 'outcome', t)}"),
    ("add", "contribution"): ("outcome", lambda n, t, nm: (
        f"{n} contributions offered for {_q(nm, 'outcome', t)}")),
    ("update", "contribution"): ("", lambda n, t, nm: f"{n} contributions updated"),
    ("add", "commitment"): ("partner", lambda n, t, nm: f"{_name(nm, 'partner', t)} made {n} promises"),
    ("update", "commitment"): ("state", lambda n, t, nm: {
        "delivered": f"{n} promises kept", "withdrawn": f"{n} promises withdrawn",
        "open": f"{n} promises open again"}.get(t, f"{n} promises updated")),
    ("add", "capacity"): ("partner", lambda n, t, nm: f"{_name(nm, 'partner', t)} said what it can give "
                                                      f"({n} kinds)"),
    ("add", "update"): ("partner", lambda n, t, nm: f"{_name(nm, 'partner', t)} posted {n} written updates"),
    ("add", "story note"): ("indicator", lambda n, t, nm: f"{n} story notes on {t}"),
    ("add", "indicator"): ("outcome", lambda n, t, nm: (
        f"{n} indicators added for {_q(nm, 'outcome', t)}")),
    ("add", "partner"): ("", lambda n, t, nm: f"{n} partners joined the partnership"),
    ("add", "person"): ("partner", lambda n, t, nm: f"{n} people of {_name(nm, 'partner', t)} joined"),
    ("add", "outcome"): ("", lambda n, t, nm: f"{n} outcomes added"),
    ("add", "meeting"): ("", lambda n, t, nm: f"{n} meetings proposed"),
    ("add", "activity"): ("partner", lambda n, t, nm: f"{n} activities of {_name(nm, 'partner', t)} added"),
    ("add", "activity outcome"): ("outcome", lambda n, t, nm: (
        f"{n} activities now work toward {_q(nm, 'outcome', t)}")),
    ("add", "governance answer"): ("", lambda n, t, nm: f"{n} governance questions answered"),
    ("update", "unmentoring group"): ("round", lambda n, t, nm: f"{n} unmentoring groups of round {t} met"),
    ("correct", "observation"): ("indicator", lambda n, t, nm: f"{n} figures corrected for {t}"),
    ("remove", "observation"): ("indicator", lambda n, t, nm: f"{n} figures removed for {t}"),
}


def _topic(row: Row, field: str) -> str | None:
    """What the change is about (``field`` of its data, or the key's first part); None
    when the row does not say."""
    if not field:
        return ""
    d = _data(row)
    if field == "state":  # an update: the state it changed to
        return str(_changed(d).get("state") or "")
    if d.get(field) is not None:
        return str(d[field])
    if field in ("round", "indicator", "meeting", "outcome") and row.get("key"):
        return _key_part(row, 0)
    return None


def _many(n: int, entity: str, action: str) -> str:
    """'3 capacities added': n changes of a kind, with nothing more known."""
    plural = entity if n == 1 else (entity[:-1] + "ies" if entity.endswith("y") else entity + "s")
    return f"{n} {plural} {_past(action)}"


def _assessment_group(rows: list[Row], names: Names, public: bool) -> str:
    d = _data(rows[0])
    area = _name(names, "area", d.get("area", "")).lower()
    when = f", round {d['round']}" if d.get("round") else ""
    people = {_data(r).get("by") for r in rows}
    if not public and len(people) == 1 and None not in people:
        who = _name(names, "person", next(iter(people)))
        return f"{who} answered the {area} self-assessment ({len(rows)} answers{when})"
    return f"{len(rows)} answers to the {area} self-assessment" + (f" ({when[2:]})" if when else "")


def _hidden_group(rows: list[Row]) -> str:
    """Changes to records that are not public: their counts added up."""
    total = 0
    for r in rows:
        count = _data(r).get("count")
        if isinstance(count, int):
            total += count
        else:
            found = re.match(r"(\d+) ", str(r.get("summary") or ""))
            total += int(found.group(1)) if found else 1
    entity, action = str(rows[0].get("entity")), str(rows[0].get("action"))
    return f"{total} {entity}{'' if total == 1 else 's'} {_past(action)}"


def stories(changes: Iterable[Change], names: Names, *, public: bool = False,
            by_day: bool = False) -> list[Story]:
    """``changes`` grouped and worded: one :class:`Story` per kind of change and the thing
    it is about (per day too with ``by_day``), in the order their first change comes."""
    groups: dict[tuple[str, ...], list[Row]] = {}
    for row in map(as_row, changes):
        action, entity = str(row.get("action") or ""), str(row.get("entity") or "")
        day = str(row.get("at") or "")[:10] if by_day else ""
        if row.get("key") == "-":
            key: tuple[str, ...] = (day, action, entity, "-")
        elif (action, entity) == ("add", "self-assessment"):
            d = _data(row)
            key = (day, action, entity, str(d.get("area", "")), str(d.get("round", "")),
                   "" if public else str(d.get("by", "")))
        elif (action, entity) in _TOPIC:
            topic = _topic(row, _TOPIC[(action, entity)][0])
            key = (day, action, entity, "?" if topic is None else topic)
        else:  # worded one by one
            key = (day, action, entity, "#", str(row.get("id", id(row))))
        groups.setdefault(key, []).append(row)
    out = []
    for key, rows in groups.items():
        action, entity = key[1], key[2]
        if len(rows) == 1:
            text = describe(rows[0], names, public=public)
        elif key[3] == "-":
            text = _hidden_group(rows)
        elif (action, entity) == ("add", "self-assessment"):
            text = _assessment_group(rows, names, public)
        elif key[3] == "?":  # the rows do not say what they are about
            text = _many(len(rows), entity, action)
        else:
            text = _TOPIC[(action, entity)][1](len(rows), key[3], names)
        ids = [int(r["id"]) for r in rows if isinstance(r.get("id"), int)]
        out.append(Story(text=text, count=len(rows), at=max(str(r.get("at") or "") for r in rows),
                         first_id=min(ids) if ids else None, last_id=max(ids) if ids else None,
                         action=action, entity=entity))
    return out


def group(changes: Iterable[Change], names: Names, *, public: bool = False) -> list[str]:
    """``changes`` in plain English, changes of one kind about one thing in one line:
    "3 figures recorded for repeat-victims"."""
    return [s.text for s in stories(changes, names, public=public)]
