"""Import and export of a whole partnership (YAML or JSON) and of single tables (CSV).

An export is a mapping with a ``partnership`` block and one list per section (see
:meth:`partnership.registry.Registry.models`). Import validates every row first, then
writes all of them in one transaction, matching existing rows by key, so importing the
same file twice changes nothing. Any bad row aborts the import with every problem listed
and nothing written.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import attrs

from . import models
from .converter import structure
from .errors import ImportFileError, PartnershipError
from .outfiles import csv_writer_for_people, from_people
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
    out = yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)
    if base is not None and "\\U" in out:
        return _yaml_dump(data, c=False)
    return out


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


def plan(data: dict[str, Any], source: str, stored: Sequence[type] | None = None
         ) -> tuple[dict[str, Any] | None, list[tuple[type, list[Any]]]]:
    """Validate a document completely: the partnership block and every row of the
    sections of ``stored`` (the stored models in import order; by default those of the
    built-in features and installed plugins)."""
    if stored is None:
        from .plugins import default_registry

        stored = default_registry().models
    known = section_names(stored)
    problems: list[str] = []
    extra = set(data) - set(known) - {"format", "partnership"}
    if extra:
        problems.append(
            f"unknown section(s) {', '.join(sorted(extra))} (known: {', '.join(known)})")
    fmt = data.get("format", FORMAT)
    if fmt != FORMAT:
        problems.append(f"format '{fmt}' is not one this version reads ({FORMAT})")
    info = data.get("partnership")
    if info is not None:
        try:
            structure(models.Partnership, info, "partnership")
        except PartnershipError as exc:
            problems.append(str(exc))
    sections: list[tuple[type, list[Any]]] = []
    for cls in stored:
        name = entity_of(cls).section
        rows = data.get(name) or []
        if not isinstance(rows, list):
            problems.append(f"{name} must be a list of rows")
            continue
        built: list[Any] = []
        for i, row in enumerate(rows):
            try:
                built.append(structure(cls, row))
            except PartnershipError as exc:
                problems.append(f"{name}[{i}] {exc}")
        sections.append((cls, built))
    if problems:
        raise ImportFileError(_summary(source, problems), problems)
    return info, sections


def _summary(source: str, problems: list[str]) -> str:
    shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
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
    counts: dict[str, dict[str, int]] = {}
    problems: list[str] = []
    with p.store.transaction():
        if info:
            p.update_info(**info)
        for cls, rows in sections:
            coll = p.collection(cls)
            name = entity_of(cls).section
            tally = counts.setdefault(name, {"added": 0, "updated": 0, "unchanged": 0})
            for i, model in enumerate(rows):
                try:
                    tally[coll.upsert(_match(coll, model))] += 1
                except PartnershipError as exc:
                    problems.append(f"{name}[{i}] {exc}")
        if problems:
            raise ImportFileError(_summary(source, problems), problems)
    return counts


def import_document(p: Partnership, path: str | Path) -> dict[str, dict[str, int]]:
    """Import a YAML or JSON file into an open partnership; all or nothing."""
    data = read_document(path)
    info, sections = plan(data, str(path))
    return apply(p, info, sections, str(path))


def read_csv_rows(path: str | Path, cls: type) -> Iterable[tuple[int, dict[str, Any]]]:
    """Yield (line number, row) from a CSV whose header names the model's fields."""
    path = Path(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc}") from None
    with handle:
        try:
            reader = csv.DictReader(handle)
            fields = [f.strip() for f in (reader.fieldnames or [])]
            names = attrs.fields_dict(cls)
            label = entity_of(cls).label
            unknown = [f for f in fields if f not in names]
            if not fields:
                raise ImportFileError(f"{path} is empty; the first line must name the columns")
            if unknown:
                raise ImportFileError(
                    f"{path} line 1: unknown column(s) {', '.join(unknown)} for {label}s "
                    f"(allowed: {', '.join(names)})")
            required = [a.name for a in attrs.fields(cls)
                        if a.default is attrs.NOTHING and a.name not in fields]
            if required:
                raise ImportFileError(
                    f"{path} line 1: missing column(s) {', '.join(required)} for {label}s")
            reader.fieldnames = fields
            for row in reader:
                if None in row:
                    yield reader.line_num, {"__extra__": row[None]}
                    continue
                # a cell 'neutralised' by a CSV export (=..., +..., -..., @...) loses its apostrophe
                yield reader.line_num, {k: from_people(v) for k, v in row.items()
                                        if v is not None and v.strip() != ""}
        except csv.Error as exc:
            raise ImportFileError(f"{path} line {reader.line_num}: not valid CSV ({exc})") from None
        except UnicodeDecodeError:
            raise ImportFileError(f"{path} is not UTF-8 text; save it as CSV UTF-8 and try again") from None


def import_csv(p: Partnership, path: str | Path, section: str) -> dict[str, dict[str, int]]:
    """Import one section from CSV; every bad row reported with its line, nothing written."""
    known = p.registry.sections()
    if section not in known:
        raise ImportFileError(
            f"cannot import CSV into '{section}'; choose one of {', '.join(known)}")
    cls = known[section]
    problems: list[str] = []
    built: list[Any] = []
    for line, row in read_csv_rows(path, cls):
        if "__extra__" in row:
            problems.append(f"line {line}: more values than columns")
            continue
        try:
            built.append((line, structure(cls, row)))
        except PartnershipError as exc:
            problems.append(f"line {line}: {exc}")
    if problems:
        raise ImportFileError(_summary(str(path), problems), problems)
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    coll = p.collection(cls)
    with p.store.transaction():
        for line, model in built:
            try:
                counts[coll.upsert(_match(coll, model))] += 1
            except PartnershipError as exc:
                problems.append(f"line {line}: {exc}")
        if problems:
            raise ImportFileError(_summary(str(path), problems), problems)
    return {section: counts}


def export_csv(p: Partnership, section: str, *, include_private: bool = True) -> str:
    known = p.registry.sections()
    if section not in known:
        raise ImportFileError(f"cannot export '{section}' as CSV; choose one of {', '.join(known)}")
    rows = export_data(p, include_private=include_private)[section]
    cls = known[section]
    names = [a.name for a in attrs.fields(cls)
             if include_private or not a.metadata.get("private")]
    out = io.StringIO()
    writer = csv_writer_for_people(out, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
