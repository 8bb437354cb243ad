"""Field validators and converters shared by every model.

Each validator raises :class:`FieldProblem`, a ``ValueError`` whose text is already a
sentence fragment a partnership lead understands ("slug 'Lancs Police' must be ...").
A message quotes at most :data:`SHOWN` characters of the value it refuses (see
:func:`shown`), so a megabyte pasted by mistake cannot flood a terminal or a log.

The accepted forms, everywhere (command line, every import format, the library):

* **slugs**: lowercase letters, digits and single hyphens, matched in full (a trailing
  newline or space is refused, not ignored), at most 64 characters;
* **numbers**: plain decimals such as ``12``, ``-3.5``, ``.5`` or ``1.5e3``, optionally
  with commas grouping thousands (``1,380``); a comma anywhere else (``1,2``: a decimal
  comma?), underscores, ``nan`` and ``inf`` are refused; ``-0`` is stored as ``0``;
* **dates**: exactly ``YYYY-MM-DD``, between :data:`FIRST_DATE` and :data:`LAST_DATE`;
* **links** (a website, a licence): ``http://`` or ``https://`` addresses with a host;
  text that may be a link or a sentence (evidence, outputs, sources) may not hold a
  line that starts like a link of any other kind (``javascript:``, ``data:``, ``//``).

Validation applies when a value is written. Rows already stored are read back without
it (:func:`reading_stored`), so a file written by an older, more lenient version still
opens; its next update is checked, and ``partnership doctor`` lists such values.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import math
import re
import reprlib
from collections.abc import Iterator
from typing import Any, TypeVar
from urllib.parse import urlsplit

import attrs

_T = TypeVar("_T")

#: matched in full (``fullmatch``, or ``match``: the pattern is anchored with ``\A``/``\Z``)
SLUG_RE = re.compile(r"\A[a-z0-9]+(?:-[a-z0-9]+)*\Z")
SLUG_MAX = 64
#: how many characters of a refused value an error message quotes
SHOWN = 60
#: the range of every date: anything outside is almost certainly a typing mistake
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2200, 12, 31)
DATE_RE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
#: a plain decimal, ASCII digits only, with an optional exponent
NUMBER_RE = re.compile(r"\A[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
#: commas that group thousands: 1,380 or -1,234,567.5 (nothing else has a comma)
GROUPED_RE = re.compile(r"\A[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?\Z")
WHOLE_RE = re.compile(r"\A[+-]?[0-9]+\Z")
#: the longest link accepted
URL_MAX = 2000
#: the schemes of a stored link
WEB_SCHEMES = ("http", "https")
#: text that a browser would take as the start of a link: a scheme and a colon not
#: followed by a space, or a scheme-relative ``//`` (browsers also read ``\`` as ``/``)
_LINKISH = re.compile(r"\A(?:[a-z][a-z0-9+.\-]*:(?!\s|\Z)|[/\\]{2})", re.IGNORECASE)
#: what browsers drop before reading a link: leading C0 controls and spaces; tabs and
#: line breaks anywhere
_URL_LEADING = "".join(chr(c) for c in range(0x21))

_READING_STORED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "partnership_reading_stored", default=False)


class FieldProblem(ValueError):
    """A value that does not fit a field; the message names the field."""


_repr = reprlib.Repr()
_repr.maxstring = _repr.maxother = _repr.maxlong = SHOWN
_repr.maxlist = _repr.maxtuple = _repr.maxset = _repr.maxdict = 4
_repr.maxlevel = 2


def shown(value: Any, limit: int = SHOWN) -> str:
    """A value as an error message quotes it: text in single quotes, anything else as
    ``repr``, cut to about ``limit`` characters with an ellipsis (never the whole of a
    huge or deeply nested value)."""
    if isinstance(value, str):
        return f"'{value[:limit - 1]}…'" if len(value) > limit else f"'{value}'"
    try:
        return _repr.repr(value)
    except ValueError:  # an int too long to print (Python's 4,300-digit limit)
        return "a number too long to show"


@contextlib.contextmanager
def reading_stored() -> Iterator[None]:
    """Within this block, models are rebuilt from stored rows: the checks that a
    newer version made stricter (links, slugs) do not refuse what an older one stored."""
    token = _READING_STORED.set(True)
    try:
        yield
    finally:
        _READING_STORED.reset(token)


def build_stored(cls: type[_T], data: dict[str, Any]) -> _T:
    """``cls(**data)`` for a row read back from the database, as :func:`reading_stored`
    does (this is the fast read path: no context manager per row)."""
    token = _READING_STORED.set(True)
    try:
        return cls(**data)
    finally:
        _READING_STORED.reset(token)


def slugify(text: str) -> str:
    """Turn free text into a slug: ``"Lancs Police!"`` -> ``"lancs-police"``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:SLUG_MAX].strip("-")


def check_slug(name: str, value: Any) -> None:
    if not isinstance(value, str):
        raise FieldProblem(f"{name} must be text, like 'lancs-police' (got {shown(value)})")
    if len(value) > SLUG_MAX or not SLUG_RE.fullmatch(value):
        suggestion = slugify(value[:1000])
        hint = f", for example '{suggestion}'" if suggestion else ", like 'lancs-police'"
        raise FieldProblem(
            f"{name} {shown(value)} must be lowercase letters, digits and single hyphens "
            f"(at most {SLUG_MAX} characters, no spaces or line breaks){hint}"
        )


def slug(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """attrs validator: a people-facing identifier such as ``devon-cc``."""
    if _READING_STORED.get():
        return
    check_slug(attribute.name, value)


def optional_slug(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        slug(instance, attribute, value)


def text(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """attrs validator: required text, not blank."""
    if not isinstance(value, str):
        raise FieldProblem(f"{attribute.name} must be text (got {shown(value)})")
    if not value.strip():
        raise FieldProblem(f"{attribute.name} must not be empty")
    if len(value) > 10_000:
        raise FieldProblem(f"{attribute.name} is longer than 10,000 characters; shorten it")


def optional_text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """attrs validator: text that may be empty (stored as ``""``)."""
    if not isinstance(value, str):
        raise FieldProblem(f"{attribute.name} must be text (got {shown(value)})")
    if len(value) > 10_000:
        raise FieldProblem(f"{attribute.name} is longer than 10,000 characters; shorten it")


def strip(value: Any) -> Any:
    """attrs converter: trim surrounding whitespace from text, leave anything else."""
    return value.strip() if isinstance(value, str) else value


# -- links ---------------------------------------------------------------------------------

def link_problem(value: str) -> str | None:
    """Why ``value`` is not a web address a public page may link to (None if it is one)."""
    if len(value) > URL_MAX:
        return f"it is longer than {URL_MAX:,} characters"
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        return "it holds spaces or control characters (write a space as %20)"
    if "\\" in value:
        return "it holds a backslash"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return "it is not a valid web address"
    scheme = parts.scheme.lower()
    if scheme not in WEB_SCHEMES:
        return f"{scheme[:20]}: links are refused" if scheme else ""
    if not value[len(scheme) + 1:].startswith("//") or not parts.hostname:
        return f"it has no host after {scheme}://"
    if parts.username is not None or parts.password is not None:
        return "it must not hold a user name or password"
    return None


def check_url(name: str, value: Any) -> None:
    """Refuse anything but an ``http(s)://host...`` address (empty text means none)."""
    if not isinstance(value, str):
        raise FieldProblem(f"{name} must be text (got {shown(value)})")
    if value == "":
        return
    problem = link_problem(value)
    if problem is not None:
        raise FieldProblem(
            f"{name} {shown(value)} must be a web address starting with https:// or http://, "
            f"like https://example.org" + (f"; {problem}" if problem else ""))


def check_links_in_text(name: str, value: str) -> None:
    """Refuse a line of ``value`` that starts like a link but is not a web address."""
    lines = value.splitlines()
    for number, line in enumerate(lines, 1):
        probe = line.lstrip(_URL_LEADING).replace("\t", "")
        if not _LINKISH.match(probe):
            continue
        problem = link_problem(probe.split(None, 1)[0])
        if problem is None:
            continue
        where = f"line {number} " if len(lines) > 1 else ""
        raise FieldProblem(
            f"{name} {where}{shown(line.strip())} looks like a link but is not a web address "
            f"(https:// or http://)" + (f": {problem}" if problem else "")
            + "; give one like https://example.org, or write a sentence instead")


def url(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """attrs validator: an optional web link (``""`` for none), http or https only."""
    if _READING_STORED.get():
        return
    check_url(attribute.name, value)


def link_or_text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """attrs validator: optional text that may be a web link or a sentence (evidence, an
    output, a source); a line that starts like any other kind of link is refused."""
    optional_text(instance, attribute, value)
    if _READING_STORED.get():
        return
    check_links_in_text(attribute.name, value)


# -- numbers and dates -----------------------------------------------------------------------

def _comma_problem(name: str, value: str) -> FieldProblem:
    cleaned = value.strip()
    decimal, whole = cleaned.replace(",", ".", 1), cleaned.replace(",", "")
    if cleaned.count(",") == 1 and NUMBER_RE.fullmatch(decimal) and NUMBER_RE.fullmatch(whole):
        way_out = f"write {decimal} for a decimal, or {whole} without the comma"
    else:
        way_out = "write numbers without commas, or with commas grouping thousands like 1,380"
    return FieldProblem(f"{name}{shown(value)} is ambiguous: a comma may only group thousands; "
                        f"{way_out}")


def number(value: Any, name: str | None = "value") -> float:
    """Parse a number from text or a number: a plain decimal (see the module's notes).

    Refuses NaN, infinities, booleans, underscores and decimal commas; returns ``0.0``
    for ``-0``."""
    name = f"{name} " if name else ""
    if isinstance(value, bool):
        raise FieldProblem(f"{name}must be a number (got {shown(value)})")
    if isinstance(value, (int, float)):
        try:
            result = float(value)
        except OverflowError:
            raise FieldProblem(f"{name}{shown(value)} is too large; use a larger unit") from None
    elif isinstance(value, str):
        cleaned = value.strip()
        if NUMBER_RE.fullmatch(cleaned):
            result = float(cleaned)
        elif GROUPED_RE.fullmatch(cleaned):
            result = float(cleaned.replace(",", ""))
        elif "," in cleaned:
            raise _comma_problem(name, value)
        elif cleaned.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            raise FieldProblem(f"{name}must be a finite number, like 2 or 0.5 (got {shown(value)})")
        else:
            raise FieldProblem(
                f"{name}must be a number written with digits, like 2, -3.5 or 0.25 "
                f"(got {shown(value)})")
        if math.isinf(result):
            raise FieldProblem(f"{name}{shown(value)} is too large; use a larger unit")
    else:
        raise FieldProblem(f"{name}must be a number (got {shown(value)})")
    if not math.isfinite(result):
        raise FieldProblem(f"{name}must be a finite number (got {shown(value)})")
    if abs(result) > 1e15:
        raise FieldProblem(f"{name}{shown(value)} is too large; use a larger unit")
    return result + 0.0  # -0.0 + 0.0 is 0.0: no "-0" on any page


def whole_number(value: Any, name: str | None = "value") -> int:
    """Parse a whole number from an int, an integral float or plain digits (``-12``)."""
    name = f"{name} " if name else ""
    if isinstance(value, bool):
        raise FieldProblem(f"{name}must be a whole number (got {shown(value)})")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and WHOLE_RE.fullmatch(value.strip()):
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise FieldProblem(f"{name}must be a whole number written with digits, like 3 "
                       f"(got {shown(value)})")


def no_negative_zero(value: Any) -> Any:
    """attrs converter: ``-0.0`` becomes ``0.0``; anything else is left for the validator."""
    if isinstance(value, float) and value == 0:
        return 0.0
    return value


def non_negative(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """attrs validator: an optional amount that is a finite number >= 0."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise FieldProblem(f"{attribute.name} must be a number (got {shown(value)})")
    if value < 0:
        raise FieldProblem(f"{attribute.name} must not be negative (got {value:g})")
    if value > 1e15:
        raise FieldProblem(f"{attribute.name} {value:g} is too large; use a larger unit")


def date_in_range(day: dt.date, name: str | None = "date") -> dt.date:
    """``day`` itself, or a :class:`FieldProblem` if it is outside the dates recorded
    (a date already stored is read back as it is: a model's date converter runs then too)."""
    if not FIRST_DATE <= day <= LAST_DATE and not _READING_STORED.get():
        name = f"{name} " if name else ""
        raise FieldProblem(
            f"{name}must be between {FIRST_DATE.isoformat()} and {LAST_DATE.isoformat()}, "
            f"written YYYY-MM-DD (got {day.isoformat()}); check the year")
    return day


def parse_date(value: Any, name: str | None = "date") -> dt.date:
    """Parse a date written exactly ``YYYY-MM-DD`` (``2026-01-31``), between
    :data:`FIRST_DATE` and :data:`LAST_DATE`; a clear message for anything else.

    Python's ``date.fromisoformat`` also takes ``20260131`` and ``2026-W05-6``: the
    documentation promises YYYY-MM-DD, so only that is read."""
    if isinstance(value, dt.datetime):
        return date_in_range(value.date(), name)
    if isinstance(value, dt.date):
        return date_in_range(value, name)
    if isinstance(value, str) and DATE_RE.fullmatch(value.strip()):
        try:
            return date_in_range(dt.date.fromisoformat(value.strip()), name)
        except ValueError:
            pass
    label = f"{name} " if name else ""
    raise FieldProblem(
        f"{label}must be a date written YYYY-MM-DD, like 2026-01-31 (got {shown(value)})")


def email(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise FieldProblem(
            f"{attribute.name} {shown(value)} is not an email address like jo@example.org")


def phone(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not re.fullmatch(r"\+?[0-9 ()-]{6,24}", value):
        raise FieldProblem(
            f"{attribute.name} {shown(value)} is not a phone number (digits, spaces, +, - and "
            f"brackets)"
        )
