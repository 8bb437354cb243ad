"""Import and export of a whole partnership (YAML, JSON or an .xlsx workbook) and of single
tables (CSV).

An export is a mapping with a ``partnership`` block and one list per section (see
:meth:`partnership.registry.Registry.models`). Every format is read into that same plain
document (a workbook by :mod:`partnership.spreadsheets.workbook`, a CSV of one section by
:mod:`partnership.tabular`) and goes through the one importer: :func:`check` validates
every row in one pass (rows repeated within the file included), :func:`apply_checked`
writes the good ones in one transaction, matching existing rows by key, and adds what
only the database can refuse (a slug naming nothing). Any problem rolls everything back
and the error lists every problem at once, each named by a :class:`Locator` (``partners[3]``,
``line 4``, ``sheet partners, row 4, column C (kind)``). Importing the same file twice
changes nothing.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import attrs

from . import models, tabular
from .converter import structure
from .errors import ImportFileError, NotFound, PartnershipError
from .records import Collection, entity_of, to_row

if TYPE_CHECKING:
    from .api import Partnership

FORMAT = "partnership/1"

def section_names(stored: Sequence[type]) -> dict[str, type]:
    """Each stored model by the name of its export section (models in import order)."""
    return {entity_of(m).section: m for m in stored}


def export_data(p: Partnership, *, include_private: bool = True) -> dict[str, Any]:
    """The whole partnership as plain data, ready for YAML or JSON."""
    info = to_row(p.info())
    data: dict[str, Any] = {"format": FORMAT, "partnership": info}
    for cls in p.registry.models:
        rows = [to_row(m) for m in p.collection(cls).list()]
        bools = [a.name for a in attrs.fields(cls) if a.type in (bool, "bool")]
        for row in rows:
            for name in bools:
                row[name] = bool(row[name])
            if not include_private:
                for a in attrs.fields(cls):
                    if a.metadata.get("private"):
                        row.pop(a.name, None)
        data[entity_of(cls).section] = rows
    return data


def dumps(data: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return _yaml_dump(data)


#: line breaks that PyYAML's single-quoted and plain styles fold into spaces on the way back
#: (a NEL in a description came back as a space); such text is written double-quoted
_FOLDED_BREAKS = frozenset("\x85\u2028\u2029")


def _yaml_dump(data: Any, *, c: bool = True) -> str:
    """YAML text of ``data``, written by libyaml when PyYAML has it (about 3x faster).

    libyaml writes the same bytes as PyYAML's own emitter, except that it escapes
    characters beyond the Basic Multilingual Plane (an emoji becomes ``"\\U0001F642"``);
    such a document is written again by the pure-Python emitter, so an export reads the
    same whichever emitter is installed."""
    import yaml

    base = getattr(yaml, "CSafeDumper", None) if c else None

    def text(dumper: Any, value: str) -> Any:
        style = '"' if _FOLDED_BREAKS.intersection(value) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper: Any = type("Dumper", (base or yaml.SafeDumper,), {})
    Dumper.add_representer(str, text)
    try:
        # libyaml's emitter fed the events PyYAML's representer and serializer would make,
        # made here without a node per value (most of a dump's time was making those)
        out = str(yaml.emit(_yaml_events(data, Dumper(io.StringIO(), sort_keys=False)),
                            Dumper=Dumper, allow_unicode=True, width=100))
    except _NotPlain:
        out = yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)
    if base is not None and "\\U" in out:
        return _yaml_dump(data, c=False)
    return out


class _NotPlain(Exception):
    """A value :func:`_yaml_events` leaves to PyYAML's representer."""


def _yaml_events(data: Any, dumper: Any) -> Iterator[Any]:
    """The YAML events of ``data`` (mappings, lists, text, numbers, booleans, None; anything
    else raises :class:`_NotPlain`), as ``yaml.dump(data, Dumper=type(dumper),
    sort_keys=False)`` makes them: each scalar's node from ``dumper``'s representer (one
    per distinct text) and its implicit tags from its resolver, as the serializer does."""
    from yaml.events import (
        DocumentEndEvent,
        DocumentStartEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
        StreamEndEvent,
        StreamStartEvent,
    )
    from yaml.nodes import ScalarNode

    texts: dict[str, Any] = {}  # one event per distinct text (numbers are mostly different)

    def scalar(value: Any) -> Any:
        node = dumper.represent_data(value)
        event = ScalarEvent(None, node.tag,
                            (node.tag == dumper.resolve(ScalarNode, node.value, (True, False)),
                             node.tag == dumper.resolve(ScalarNode, node.value, (False, True))),
                            node.value, style=node.style)
        if type(value) is str:
            texts[value] = event
        return event

    float_tag, finite = "tag:yaml.org,2002:float", (float("-inf"), float("inf"))

    def number(value: float) -> Any:
        """A float's event, as SafeRepresenter.represent_float writes a finite one."""
        if value != value or value in finite:
            return scalar(value)
        text = repr(value)
        if "e" in text and "." not in text:
            text = text.replace("e", ".0e", 1)
        return ScalarEvent(None, float_tag,
                           (dumper.resolve(ScalarNode, text, (True, False)) == float_tag, False), text)

    plain = (str, int, float, bool, type(None))
    containers: set[int] = set()  # one met twice is an alias for PyYAML: left to it
    # (an event is only read by the emitter, so one object serves every mapping or list)
    map_start = MappingStartEvent(None, "tag:yaml.org,2002:map", True, flow_style=False)
    seq_start = SequenceStartEvent(None, "tag:yaml.org,2002:seq", True, flow_style=False)
    map_end, seq_end = MappingEndEvent(), SequenceEndEvent()

    def walk(value: Any) -> Iterator[Any]:
        kind = type(value)
        if kind is dict or kind is list:
            if id(value) in containers:
                raise _NotPlain
            containers.add(id(value))
        if kind is dict:
            yield map_start
            for k, v in value.items():
                if type(k) is str:
                    yield texts.get(k) or scalar(k)
                elif type(k) in plain:
                    yield scalar(k)
                else:
                    raise _NotPlain
                kind = type(v)
                if kind is str:
                    yield texts.get(v) or scalar(v)
                elif kind is float:
                    yield number(v)
                elif kind in plain:
                    yield scalar(v)
                else:
                    yield from walk(v)
            yield map_end
        elif kind is list:
            yield seq_start
            for v in value:
                kind = type(v)
                if kind is str:
                    yield texts.get(v) or scalar(v)
                elif kind is float:
                    yield number(v)
                elif kind in plain:
                    yield scalar(v)
                else:
                    yield from walk(v)
            yield seq_end
        elif kind in plain:
            yield scalar(value)
        else:
            raise _NotPlain

    yield StreamStartEvent()
    yield DocumentStartEvent(explicit=False)
    yield from walk(data)
    yield DocumentEndEvent(explicit=False)
    yield StreamEndEvent()


#: the largest YAML or JSON file import reads (observations in bulk go through
#: ``partnership observe --csv``, which streams)
MAX_IMPORT_BYTES = 200 * 1024 * 1024


def _refuse_anchors(raw: str, loader: Any) -> None:
    """Refuse YAML anchors and aliases before anything is built from the document.

    An alias repeats a node, so a few hundred bytes of nested aliases can expand into
    billions of values (the "billion laughs"); an export never writes them."""
    import yaml

    for event in yaml.parse(raw, Loader=loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            # the parser gives every event it yields its marks (typed as optional)
            raise _AnchorFound(cast("yaml.Mark", event.start_mark).line + 1)


def _load_yaml(raw: str, loader_class: Any) -> Any:
    """``yaml.load(raw, Loader=loader_class)`` built straight from the parser's events,
    without a node per value (most of a load's time and memory was making those), and
    refusing anchors and aliases on the way (:class:`_AnchorFound`). Each scalar's tag
    comes from the loader's resolver and its value from the loader's own constructor for
    that tag, so the values are the same; a document with anything else (an explicit tag,
    a merge key, a key that is a list or mapping, a second document) raises
    :class:`_NotPlain`, for PyYAML's composer and constructor to read."""
    from yaml.events import (
        AliasEvent,
        DocumentStartEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
    )
    from yaml.nodes import ScalarNode

    base = "tag:yaml.org,2002:"
    text_tag = base + "str"
    simple = {base + t for t in ("bool", "int", "float", "null", "timestamp")}
    no_key = object()
    loader = loader_class(raw)
    try:
        known: dict[tuple[str, Any], Any] = {}
        stack: list[list[Any]] = []  # [container, its pending key] while it is read
        root: Any = None
        documents = 0

        def add(value: Any) -> None:
            nonlocal root
            if not stack:
                root = value
                return
            top = stack[-1]
            if type(top[0]) is list:
                top[0].append(value)
            elif top[1] is no_key:
                if type(value) in (dict, list):
                    raise _NotPlain
                top[1] = value
            else:
                top[0][top[1]] = value
                top[1] = no_key

        while loader.check_event():
            event = loader.get_event()
            kind = type(event)
            if kind is ScalarEvent:
                if event.anchor is not None:
                    raise _AnchorFound(event.start_mark.line + 1)
                if event.tag is not None and event.tag != "!":
                    raise _NotPlain
                key = (event.value, event.implicit)
                value = known.get(key, no_key)
                if value is no_key:
                    tag = loader.resolve(ScalarNode, event.value, event.implicit)
                    if tag == text_tag:
                        value = event.value
                    elif tag in simple:
                        value = loader.yaml_constructors[tag](
                            loader, ScalarNode(tag, event.value, style=event.style))
                    else:
                        raise _NotPlain
                    known[key] = value
                add(value)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.anchor is not None:
                    raise _AnchorFound(event.start_mark.line + 1)
                if event.tag is not None and event.tag != "!":
                    raise _NotPlain
                stack.append([{} if kind is MappingStartEvent else [], no_key])
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                add(stack.pop()[0])
            elif kind is AliasEvent:
                raise _AnchorFound(event.start_mark.line + 1)
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _NotPlain
        return root
    finally:
        loader.dispose()


class _AnchorFound(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def read_document(path: str | Path, text: str | None = None) -> dict[str, Any]:
    """Parse a YAML or JSON export file, with a clear error for anything unreadable.

    YAML is read with PyYAML's safe loader (libyaml's when available); anchors and
    aliases (``&name``, ``*name``) are refused, and so is a file larger than
    :data:`MAX_IMPORT_BYTES`."""
    path = Path(path)
    limit = f"{MAX_IMPORT_BYTES / 1024 / 1024:g} MB"
    too_big = (f"{path} is larger than {limit}, the most one import reads; import "
               f"observations with 'partnership observe --csv FILE', or split the file")
    try:
        if text is None and path.stat().st_size > MAX_IMPORT_BYTES:
            raise ImportFileError(too_big)
        raw = text if text is not None else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"cannot read {path}: {exc}") from None
    if len(raw) > MAX_IMPORT_BYTES:
        raise ImportFileError(too_big)
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(raw)
        else:
            import yaml

            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            try:
                data = _load_yaml(raw, loader)
            except _NotPlain:  # tags, merge keys, complex keys...: PyYAML's own way
                _refuse_anchors(raw, loader)
                data = yaml.load(raw, Loader=loader)
    except _AnchorFound as found:
        raise ImportFileError(
            f"{path} line {found.line}: YAML anchors and aliases (&name, *name) are not read "
            f"by import; write each value out in full, as an export does") from None
    except Exception as exc:  # yaml and json errors carry the line
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        first = first if len(first) <= 120 else first[:119] + "…"
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        line = line + 1 if line is not None else getattr(exc, "lineno", None)
        where = f" line {line}" if line else ""
        kind = path.suffix.lstrip(".").upper() or "YAML"
        raise ImportFileError(f"{path}{where} is not valid {kind}: {first}") from None
    if not isinstance(data, dict):
        raise ImportFileError(f"{path} must hold a mapping with 'partnership' and sections like 'partners'")
    return data


class Locator:
    """Names a place in an import file for its problems. The default names a row of a
    section as ``partners[3]`` (YAML and JSON); a CSV file names its lines
    (:class:`LineLocator`) and a workbook its sheet, row and column
    (:class:`partnership.spreadsheets.workbook.CellLocator`)."""

    def row(self, section: str, index: int) -> str:
        return f"{section}[{index}]"

    def cell(self, section: str, index: int, column: str) -> str | None:
        """The place of one field's cell, or None when the format has no cells."""
        return None

    def short(self, section: str, index: int) -> str:
        """The place of a row, short, for "is already at ..."."""
        return self.row(section, index).rstrip(":")


class LineLocator(Locator):
    """A CSV file of one section: row ``index`` is on line ``lines[index]``."""

    def __init__(self, lines: Sequence[int]) -> None:
        self.lines = lines

    def row(self, section: str, index: int) -> str:
        return f"line {self.lines[index]}:"


@attrs.frozen
class Problem:
    """One problem of an import file: its section, the index of its row (None for the
    whole file) and the sentence naming its place."""

    section: str
    index: int | None
    text: str


def located(locator: Locator, section: str, index: int, cls: type,
            exc: PartnershipError) -> list[Problem]:
    """The problems of one row, each with its place: the cell of the field it names where
    the format has cells, else the row."""
    found = getattr(exc, "problems", None) or [str(exc)]
    fields = attrs.fields_dict(cls)
    if isinstance(exc, NotFound) and exc.what in fields:
        # a slug naming nothing: the cell of the field that refers to it
        cell = locator.cell(section, index, exc.what)
        if cell:
            return [Problem(section, index, f"{cell}: {exc}")]
    cells = [locator.cell(section, index, p.split(" ", 1)[0].rstrip(":")) if
             p.split(" ", 1)[0].rstrip(":") in fields else None for p in found]
    if not any(cells):
        return [Problem(section, index, f"{locator.row(section, index)} {exc}")]
    label = entity_of(cls).label if hasattr(cls, "__entity__") else cls.__name__.lower()
    return [Problem(section, index, f"{cell}: {p}" if cell else f"{locator.row(section, index)} {label}: {p}")
            for p, cell in zip(found, cells, strict=True)]


def _key(cls: type, model: Any) -> tuple[Any, ...] | None:
    """The key of a row as an import matches it: its key fields, or its match fields for an
    auto-numbered row given without an id; None when it has neither."""
    ent = entity_of(cls)
    key = tuple(getattr(model, f) for f in ent.key)
    if all(k is not None for k in key):
        return key
    if ent.match:
        return tuple(str(getattr(model, f)) for f in ent.match)
    return None


Sections = list[tuple[type, list[tuple[int, Any]]]]


def check(data: dict[str, Any], source: str, stored: Sequence[type] | None = None,
          locator: Locator | None = None) -> tuple[dict[str, Any] | None, Sections, list[Problem]]:
    """Validate a document in one pass: the partnership block and every row of the
    sections of ``stored`` (the stored models in import order; by default those of the
    built-in features and installed plugins), rows repeated within the file included.

    Returns the partnership block, each section's good rows with their index, and every
    problem. Nothing is raised for bad rows, so :func:`apply_checked` can add the problems
    only the database can find (a slug naming nothing) and report them all at once."""
    if stored is None:
        from .plugins import default_registry

        stored = default_registry().models
    where = locator or Locator()
    known = section_names(stored)
    problems: list[Problem] = []
    extra = set(data) - set(known) - {"format", "partnership"}
    if extra:
        problems.append(Problem("", None,
            f"unknown section(s) {', '.join(sorted(extra))} (known: {', '.join(known)})"))
    fmt = data.get("format", FORMAT)
    if fmt != FORMAT:
        problems.append(Problem("", None, f"format '{fmt}' is not one this version reads ({FORMAT})"))
    info = data.get("partnership")
    if info is not None:
        try:
            structure(models.Partnership, info, "partnership")
        except PartnershipError as exc:
            problems.extend(located(where, "partnership", 0, models.Partnership, exc)
                            if where.cell("partnership", 0, "name") else
                            [Problem("partnership", None, str(exc))])
            info = None  # reported; the rows are still checked against the database
    sections: Sections = []
    for cls in stored:
        name = entity_of(cls).section
        rows = data.get(name) or []
        if not isinstance(rows, list):
            problems.append(Problem(name, None, f"{name} must be a list of rows"))
            continue
        built: list[tuple[int, Any]] = []
        seen: dict[tuple[Any, ...], int] = {}
        for i, row in enumerate(rows):
            if row is None:  # a row the reader already refused (a CSV line with too many values)
                continue
            try:
                model: Any = structure(cls, row)
            except PartnershipError as exc:
                problems.extend(located(where, name, i, cls, exc))
                # a bad row still holds its key: a later row repeating it is a problem too
                raw = tuple(row.get(f) for f in entity_of(cls).key) if isinstance(row, dict) else ()
                if raw and all(isinstance(k, str) for k in raw):
                    seen.setdefault(raw, i)
                continue
            key = _key(cls, model)
            if key is not None and key in seen:
                shown = ", ".join(str(k) for k in key)
                problems.append(Problem(name, i, f"{where.row(name, i)} {entity_of(cls).label} "
                                        f"{shown} is already at {where.short(name, seen[key])} "
                                        f"of this file; keep one of them"))
                continue
            if key is not None:
                seen[key] = i
            built.append((i, model))
        sections.append((cls, built))
    return info, sections, problems


def plan(data: dict[str, Any], source: str, stored: Sequence[type] | None = None
         ) -> tuple[dict[str, Any] | None, list[tuple[type, list[Any]]]]:
    """Validate a document completely (see :func:`check`); raises
    :class:`ImportFileError` with every problem."""
    info, sections, problems = check(data, source, stored)
    if problems:
        texts = [pr.text for pr in problems]
        raise ImportFileError(summary(source, texts), texts)
    return info, [(cls, [m for _, m in rows]) for cls, rows in sections]


#: problems quoted in an error's one-line message (the CLI prints each on its own line)
SHOWN = 5


def summary(source: str, problems: list[str]) -> str:
    """One line naming the file and its first problems, for the error's message."""
    shown = "; ".join(problems[:SHOWN]) + (
        f"; and {len(problems) - SHOWN} more" if len(problems) > SHOWN else "")
    return f"{source}: {shown}. Nothing was imported; fix the file and import it again"


def _match(coll: Collection[Any], model: Any) -> Any:
    """For auto-numbered rows without an id, find an existing row with the same match fields."""
    ent = coll.entity
    if not ent.match or getattr(model, ent.key[0]) is not None:
        return model
    row = to_row(model)
    where = " AND ".join(f"[{f}] IS ?" for f in ent.match)
    found = coll.p.store.db.execute(
        f"SELECT [{ent.key[0]}] FROM [{ent.table}] WHERE {where} LIMIT 1", [row[f] for f in ent.match]
    ).fetchone()
    return attrs.evolve(model, **{ent.key[0]: found[0]}) if found else model


def apply(p: Partnership, info: dict[str, Any] | None, sections: list[tuple[type, list[Any]]],
          source: str) -> dict[str, dict[str, int]]:
    """Write validated sections in one transaction; returns counts per section."""
    indexed = [(cls, list(enumerate(rows))) for cls, rows in sections]
    return apply_checked(p, info, indexed, source)


def apply_checked(p: Partnership, info: dict[str, Any] | None, sections: Sections, source: str, *,
                  problems: Sequence[Problem] = (), locator: Locator | None = None,
                  skip_bad: bool = False, refused: list[Problem] | None = None,
                  ) -> dict[str, dict[str, int]]:
    """Write the good rows :func:`check` returned, in one transaction, collecting what only
    the database can refuse (a slug that names nothing) next to ``problems``; any problem
    rolls everything back, so the error lists every problem of the file at once.

    With ``skip_bad`` the good rows are written and every problem is appended to
    ``refused`` (a row the database refuses is undone alone, inside a savepoint)."""
    where = locator or Locator()
    counts: dict[str, dict[str, int]] = {}
    found = list(problems)
    conn = p.store.conn
    with p.store.transaction():
        if info:
            p.update_info(**info)
        for cls, rows in sections:
            coll = p.collection(cls)
            name = entity_of(cls).section
            tally = counts.setdefault(name, {"added": 0, "updated": 0, "unchanged": 0})
            for i, model in rows:
                if skip_bad:
                    conn.execute("SAVEPOINT import_row")
                try:
                    tally[coll.upsert(_match(coll, model))] += 1
                except PartnershipError as exc:
                    if skip_bad:
                        conn.execute("ROLLBACK TO import_row")
                    found.extend(located(where, name, i, cls, exc))
                if skip_bad:
                    conn.execute("RELEASE import_row")
        if found and not skip_bad:
            texts = [pr.text for pr in found]
            raise ImportFileError(summary(source, texts), texts)
    if refused is not None:
        refused.extend(found)
    return counts


def import_document(p: Partnership, path: str | Path) -> dict[str, dict[str, int]]:
    """Import a YAML, JSON or .xlsx file into an open partnership; all or nothing, every
    problem of the file reported at once."""
    data, locator = read_any(path)
    info, sections, problems = check(data, str(path), p.registry.models, locator)
    return apply_checked(p, info, sections, str(path), problems=problems, locator=locator)


#: the suffixes of the workbook format (:mod:`partnership.spreadsheets.workbook`)
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def read_any(path: str | Path) -> tuple[dict[str, Any], Locator | None]:
    """A YAML, JSON or .xlsx export read into the same plain document, and the locator
    that names its places (None: the default, ``section[index]``)."""
    if Path(path).suffix.lower() in WORKBOOK_SUFFIXES:
        from .spreadsheets.workbook import read_workbook

        return read_workbook(path)
    return read_document(path), None


# -- the columns people see: names beside slugs, derived states -------------------------------


def ref_fields(cls: type) -> dict[str, str]:
    """The fields of ``cls`` that name a row of another table, and that table."""
    return {a.name: a.metadata["ref"] for a in attrs.fields(cls) if a.metadata.get("ref")}


#: derived (read-only) columns by section, beyond the names beside slugs
DERIVED: dict[str, tuple[str, ...]] = {"commitments": ("status", "days_late")}


def derived_columns(cls: type) -> list[str]:
    """The read-only columns an export adds to a section: the name beside each slug
    (``partner_name``) and the derived state of a row (a commitment's ``status``: kept,
    kept-late, open, overdue, withdrawn; ``days_late``). Import accepts and ignores them."""
    return [f"{f}_name" for f in ref_fields(cls)] + list(DERIVED.get(entity_of(cls).section, ()))


def export_columns(cls: type, *, include_private: bool = True) -> list[str]:
    """The columns of a section's CSV or sheet: each field, the name beside each slug right
    after it, then the derived state."""
    refs = ref_fields(cls)
    columns: list[str] = []
    for a in attrs.fields(cls):
        if a.metadata.get("private") and not include_private:
            continue
        columns.append(a.name)
        if a.name in refs:
            columns.append(f"{a.name}_name")
    return columns + list(DERIVED.get(entity_of(cls).section, ()))


def names_of(p: Partnership, table: str) -> dict[Any, str]:
    """The name (or title) of every row of ``table``, by its one-column key."""
    cls = p.registry.tables().get(table)
    if cls is None or len(entity_of(cls).key) != 1:
        return {}
    fields = attrs.fields_dict(cls)
    label = next((c for c in ("name", "title") if c in fields), None)
    if label is None:
        return {}
    key = entity_of(cls).key[0]
    return {r[0]: r[1] for r in p.store.conn.execute(f"SELECT [{key}], [{label}] FROM [{table}]")}


def with_derived(p: Partnership, cls: type, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` (as :func:`export_data` gives them) with the columns of
    :func:`derived_columns` filled in from the record and the library."""
    refs = ref_fields(cls)
    names = {f: names_of(p, t) for f, t in refs.items()}
    states: dict[Any, dict[str, Any]] = {}
    if entity_of(cls).section == "commitments" and hasattr(p, "commitments"):
        states = {r["id"]: {"status": r["status"], "days_late": r.get("days_late")}
                  for r in p.commitments.list()}
    out = []
    for row in rows:
        extra: dict[str, Any] = {f"{f}_name": names[f].get(row.get(f)) for f in refs}
        if states:
            extra.update(states.get(row.get("id"), {}))
        out.append({**row, **extra})
    return out


# -- CSV: one section -------------------------------------------------------------------------


def open_section_csv(path: str | Path, cls: type) -> tabular.CsvFile:
    """A CSV of one section opened through :mod:`partnership.tabular` (friendly headers,
    encodings, reject-file and read-only columns ignored)."""
    fields = attrs.fields(cls)
    return tabular.open_csv(path, columns=[a.name for a in fields],
                            required=[a.name for a in fields if a.default is attrs.NOTHING],
                            ignored=derived_columns(cls), what=f"{entity_of(cls).label}s")


@attrs.define
class CsvImport:
    """What a CSV import of one section did: counts, and the rows refused (``skip_bad``)."""

    section: str
    counts: dict[str, int]
    rejected: int = 0
    reject_path: str | None = None
    problems: list[str] = attrs.field(factory=list)


def section_of(path: str | Path, known: Iterable[str]) -> str:
    """The section a CSV file holds, from its name: ``partners.csv``, ``Partners.csv``,
    ``partners.rejected.csv`` (a reject file), ``Our partners 2026.csv`` all hold partners."""
    import re

    sections = sorted(known, key=len, reverse=True)
    name = tabular.normalise(Path(path).name.split(".")[0])
    if name in sections:
        return name
    # "Our partners.csv", "partners 2026.csv": the section named as a word of the file name
    return next((s for s in sections if re.search(rf"(^|_){re.escape(s)}(_|\d|$)", name)), name)


def import_csv(p: Partnership, path: str | Path, section: str) -> dict[str, dict[str, int]]:
    """Import one section from CSV; every bad row reported with its line, nothing written."""
    return {section: import_section_csv(p, path, section).counts}


def import_section_csv(p: Partnership, path: str | Path, section: str, *, skip_bad: bool = False,
                       reject_path: str | Path | None = None, force: bool = False) -> CsvImport:
    """Import one section from CSV in one pass: every problem of the file (bad cells, rows
    repeated in the file, slugs naming nothing) is found, each with its line.

    All or nothing, unless ``skip_bad``: then the good rows are written and the bad ones go
    to ``reject_path`` (default ``FILE.rejected.csv``; private; an existing file only with
    ``force`` or if it is an earlier reject file) as written, after a ``line`` and a
    ``problem`` column; once fixed it imports again as it stands."""
    known = p.registry.sections()
    if section not in known:
        raise ImportFileError(
            f"cannot import CSV into '{section}'; choose one of {', '.join(known)} "
            f"(name the file after it, e.g. partners.csv, or give --section)")
    cls = known[section]
    with open_section_csv(path, cls) as table:
        header = table.header
        rows = list(table.rows())
    locator = LineLocator([line for line, _, _ in rows])
    early = [Problem(section, i, f"line {line}: {row}")
             for i, (line, _, row) in enumerate(rows) if isinstance(row, str)]
    document = {section: [None if isinstance(row, str) else row for _, _, row in rows]}
    _, sections, problems = check(document, str(path), [cls], locator)
    problems = sorted(early + problems, key=lambda pr: pr.index if pr.index is not None else -1)
    result = CsvImport(section, {})
    if skip_bad:
        target = reject_path or Path(path).with_name(Path(path).stem + ".rejected.csv")
        result.reject_path = str(target)
        # refuse a bad target before anything is written
        _check_reject_target(p, target, force)
    refused: list[Problem] = []
    counts = apply_checked(p, None, sections, str(path), problems=problems, locator=locator,
                           skip_bad=skip_bad, refused=refused)
    result.counts = counts.get(section, {"added": 0, "updated": 0, "unchanged": 0})
    if skip_bad and refused:
        bad: dict[int, list[str]] = {}
        for pr in refused:
            bad.setdefault(pr.index if pr.index is not None else -1, []).append(
                pr.text.split(": ", 1)[-1])
        result.rejected = len([i for i in bad if i >= 0])
        result.problems = [pr.text for pr in refused]
        reject_rows = [[rows[i][0], "; ".join(texts), *rows[i][1]]
                       for i, texts in sorted(bad.items()) if i >= 0]
        _write_rejects(p, result.reject_path or "", header, reject_rows, force)
    return result


def _reject_recogniser() -> Any:
    from .outfiles import csv_header_starts

    return csv_header_starts(*tabular.REJECT_COLUMNS)


def _check_reject_target(p: Partnership, target: str | Path, force: bool) -> None:
    from .outfiles import check_target, protected_paths

    check_target(target, protect=protected_paths(p.store.path), force=force,
                 recognise=_reject_recogniser(), what="a reject file")


def _write_rejects(p: Partnership, target: str | Path, header: list[str], rows: list[list[Any]],
                   force: bool) -> None:
    from .outfiles import csv_writer_for_people, write_output

    def write(f: Any) -> None:
        f.write("\ufeff")
        writer = csv_writer_for_people(f)
        writer.writerow([*tabular.REJECT_COLUMNS, *header])
        writer.writerows(rows)

    from .outfiles import protected_paths

    write_output(target, write, protect=protected_paths(p.store.path), private=True, force=force,
                 recognise=_reject_recogniser(), what="a reject file", newline="")


def export_csv(p: Partnership, section: str, *, include_private: bool = True, excel: bool = False) -> str:
    """One section as CSV for people: the name beside each slug, the derived state, yes/no,
    ``2`` not ``2.0``, formula cells neutralised (see :mod:`partnership.tabular`)."""
    known = p.registry.sections()
    if section not in known:
        raise ImportFileError(f"cannot export '{section}' as CSV; choose one of {', '.join(known)}")
    cls = known[section]
    rows = with_derived(p, cls, export_data(p, include_private=include_private)[section])
    return tabular.csv_text(export_columns(cls, include_private=include_private), rows, excel=excel)
