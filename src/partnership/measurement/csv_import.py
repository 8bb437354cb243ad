"""Bulk import of observations from CSV (``partnership observe --csv``, :meth:`Measure.import_csv
<partnership.measurement.service.Measure.import_csv>`).

The file is streamed. Every cell is read the way the library reads that field of
:class:`~partnership.measurement.service.Observation`: the converter's structure hook
for the field's type (the one cattrs calls), then the field's attrs converter and
validator (:class:`RowCheck`), so a row is refused here exactly when ``observe`` would
refuse it. Good rows are inserted in batches inside one transaction and the change log
gets one entry for the whole import. Any bad row means nothing is written, unless
``skip_bad`` is given (bad rows then go to a reject file, with the problem of each).

It is fast enough for a million rows because a cell that repeats row after row (the
indicator, the date, the source) is validated once, which is sound because each of these
rules looks at the one value alone.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs
from attrs import define, field

from .. import tabular
from .. import validators as v
from ..errors import ImportFileError, NotFound
from .service import Observation, Seen, future_problem, seen_range

if TYPE_CHECKING:
    from ..api import Partnership

__all__ = ["CSV_COLUMNS", "REQUIRED_COLUMNS", "ImportResult", "RowCheck", "count_lines",
           "import_observations"]

CSV_COLUMNS = ("indicator", "date", "value", "source", "note")
REQUIRED_COLUMNS = ("indicator", "date", "value")
#: rows inserted per statement
BATCH = 5000
#: bad rows quoted in the error when nothing is imported
SHOWN_PROBLEMS = 20
#: bad rows reported with a did-you-mean for an unknown indicator (slow over thousands)
SUGGESTED = 50
#: distinct sources and notes remembered as valid
REMEMBERED = 4096

Row = tuple[str, str, float, str, str]


@define
class ImportResult:
    """What an import did: rows written, indicators touched, rows rejected."""

    path: str
    imported: int = 0
    indicators: int = 0
    rejected: int = 0
    reject_path: str | None = None
    problems: list[str] = field(factory=list)


def count_lines(path: str | os.PathLike[str]) -> int:
    """Lines in a file (for a progress bar), read in large binary chunks."""
    n = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            n += chunk.count(b"\n")
    return n


def import_observations(p: Partnership, path: str | os.PathLike[str], *, skip_bad: bool = False,
                        reject_path: str | os.PathLike[str] | None = None, replace: bool = False,
                        progress: Callable[[int], None] | None = None,
                        confirm: bool = False) -> ImportResult:
    """Import the observations in the CSV file at ``path`` into ``p``, in one transaction
    (the arguments are those of :meth:`Measure.import_csv
    <partnership.measurement.service.Measure.import_csv>`)."""
    path = Path(path)
    name = str(path)
    if path.is_dir() or not path.exists():
        raise ImportFileError(f"no file {name}; check the path")
    result = ImportResult(path=name)
    today = p.today()
    known = {r[0] for r in p.store.conn.execute("SELECT slug FROM indicators")}

    def refusing() -> bool:  # a bad row and no skip_bad: every row is checked, none written
        return bool(result.rejected) and not skip_bad

    # UTF-8 (with or without a byte-order mark) or Windows-1252, as Excel saves CSV
    f, _encoding = tabular.open_text(path)
    rejects: Rejects | None = None
    try:
        reader = csv.reader(f)
        header, positions = read_header(reader, name)
        if skip_bad:
            result.reject_path = str(reject_path or path.with_name(path.stem + ".rejected.csv"))
        rejects = Rejects(result, header)
        check = RowCheck(positions, known, today)
        writer = BatchWriter(p.store.conn, replace, rejects)
        with p.store.transaction():
            plausible = Plausibility(p.store.conn, confirm)
            for line, raw, row in checked_rows(reader, check, rejects):
                problem = plausible(row)
                if problem:
                    rejects.add(line, raw, problem)
                    continue
                # rows go on being inserted after a bad one (rolled back at the end), so a
                # row repeating one earlier in the file is found in the same pass
                writer.add(row, line, raw)
                if writer.full():
                    writer.flush()
                    if progress:
                        progress(line)
            writer.flush()
            if progress:
                progress(reader.line_num)
            if refusing():
                raise ImportFileError(_nothing_imported(name, result), result.problems)
            result.imported, result.indicators = writer.imported, len(writer.touched)
            if result.imported:
                _log(p, path, result, writer.touched)
    except UnicodeDecodeError:
        raise ImportFileError(f"{name} is not UTF-8 text; save it as CSV UTF-8 and try again") from None
    except csv.Error as exc:
        raise ImportFileError(f"{name} could not be read as CSV ({exc}); check the file") from None
    finally:
        f.close()
        if rejects is not None:
            rejects.close()
    return result


def read_header(reader: Iterator[list[str]], name: str) -> tuple[list[str], dict[str, int]]:
    """The header line as written, and the position of each known column in it."""
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(
            f"{name} is empty; its first line must name the columns "
            f"{', '.join(REQUIRED_COLUMNS)} (and optionally source, note)") from None
    # any case and spacing ('Indicator', 'DATE'); a reject file's line and problem are ignored
    return header, tabular.positions(header, name, columns=CSV_COLUMNS, required=REQUIRED_COLUMNS,
                                     what="observations")


def checked_rows(reader: Any, check: RowCheck, rejects: Rejects,
                 ) -> Iterator[tuple[int, list[str], Row]]:
    """(line number, the row as written, the row to insert) for each good row of
    ``reader``; each bad row goes to ``rejects``; blank lines are skipped."""
    for raw in reader:
        if not raw or (len(raw) == 1 and not raw[0].strip()):
            continue
        checked = check(raw, suggest=rejects.result.rejected < SUGGESTED)
        if isinstance(checked, str):
            rejects.add(reader.line_num, raw, checked)
        else:
            yield reader.line_num, raw, checked


class RowCheck:
    """Checks a CSV row of observations: a row to insert, or the problem with it.

    Each cell goes through its :class:`Observation` field as the library would take it
    (:func:`field_reader`); the indicator must exist, and the date must not be in the
    future (the rule ``observe`` runs, :func:`future_problem`)."""

    def __init__(self, positions: dict[str, int], known: set[str], today: dt.date) -> None:
        fields = [a.name for a in attrs.fields(Observation)]
        if fields != list(CSV_COLUMNS):
            raise AssertionError(f"Observation has the fields {fields}; the CSV import reads "
                                 f"{CSV_COLUMNS}: teach it the new field")
        self.known = known
        self.at_indicator, self.at_date, self.at_value = (positions[c] for c in REQUIRED_COLUMNS)
        self.at_source, self.at_note = positions.get("source"), positions.get("note")
        # asked only about known indicators, so it holds at most one entry per indicator
        self.indicator = functools.lru_cache(maxsize=None)(field_reader(Observation, "indicator"))
        read_date = field_reader(Observation, "date")

        def date(text: str) -> str:
            day = _date_cell(read_date, text)
            problem = future_problem(day, today)
            if problem:
                raise v.FieldProblem(problem)
            return day.isoformat()

        # cached only when valid (lru_cache keeps no exception): at most one per real date
        self.date = functools.lru_cache(maxsize=None)(date)
        self.value = field_reader(Observation, "value")
        self.source = functools.lru_cache(maxsize=REMEMBERED)(field_reader(Observation, "source"))
        self.note = functools.lru_cache(maxsize=REMEMBERED)(field_reader(Observation, "note"))

    def __call__(self, raw: list[str], *, suggest: bool = True) -> Row | str:
        """The row to insert, or the problem with it (``suggest``: with a did-you-mean)."""
        try:
            indicator = raw[self.at_indicator].strip()
            date_text = raw[self.at_date].strip()
            value_text = raw[self.at_value]
            source = raw[self.at_source] if self.at_source is not None else ""
            note = raw[self.at_note] if self.at_note is not None else ""
        except IndexError:
            return f"has {len(raw)} field(s), fewer than the header's columns"
        if indicator not in self.known:
            if not suggest:
                return f"no indicator '{indicator}' in this partnership"
            return str(NotFound("indicator", indicator, sorted(self.known)))
        try:
            return (self.indicator(indicator), self.date(date_text), self.value(value_text),
                    self.source(source), self.note(note))
        except v.FieldProblem as exc:
            return str(exc)


def field_reader(cls: type, name: str) -> Callable[[str], Any]:
    """A function from a cell's text to the value of field ``name`` of ``cls``, taken as
    :func:`partnership.records.structure` takes it: the converter's structure hook for
    the field's type, the field's attrs converter, then its attrs validator. A problem is
    a :class:`~partnership.validators.FieldProblem` naming the field.

    Only for validators that look at the value alone (every field of
    :class:`Observation`): none is given the instance."""
    from ..converter import converter

    attrs.resolve_types(cls)
    attribute = attrs.fields_dict(cls)[name]
    kind = attribute.type
    hook = converter.get_structure_hook(kind)
    convert = attribute.converter
    validate = attribute.validator

    def read(text: str) -> Any:
        try:
            value = hook(text, kind)
            if convert is not None:
                # attrs types a converter as a function or an attrs.Converter, whose stub is not
                # callable; Observation's fields use plain functions
                value = convert(value)  # type: ignore[operator]
            if validate is not None:
                validate(None, attribute, value)
        except v.FieldProblem as exc:
            raise v.FieldProblem(_naming(name, str(exc))) from None
        return value

    return read


def _date_cell(read: Callable[[Any], dt.date], text: str) -> dt.date:
    """``read(text)``, with the words of the range check for a well-written date outside
    the dates recorded (``validators.parse_date`` reports such a date, given as text, as
    badly written: the range's FieldProblem is a ValueError, caught with fromisoformat's)."""
    try:
        return read(text)
    except v.FieldProblem as exc:
        problem = exc
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise problem from None
    read(day)  # a date outside the range: refused, naming the range
    raise problem  # a date, but not written YYYY-MM-DD (like 20260131)


def _naming(name: str, message: str) -> str:
    """``message`` starting with the field's name, as the converter words it, without
    repeating it ("date must be a date written ..." reads "date must be written ...")."""
    if not message.startswith(name):
        message = f"{name} {message}"
    return message.replace(f"{name} must be a {name} ", f"{name} must be ", 1)


class Plausibility:
    """A figure far outside what its indicator has seen is a bad row (unless ``confirm``):
    the rule of :meth:`Measure.observe <partnership.measurement.service.Measure.observe>`
    (:class:`~partnership.measurement.service.Seen`). What an indicator has seen is read
    once from the database and grows with the file's rows taken before it."""

    def __init__(self, conn: sqlite3.Connection, confirm: bool) -> None:
        self.conn, self.confirm = conn, confirm
        self.seen: dict[str, Seen | None] = {}

    def __call__(self, row: Row) -> str | None:
        if self.confirm:
            return None
        indicator, value = row[0], row[2]
        if indicator not in self.seen:
            self.seen[indicator] = seen_range(self.conn, indicator)
        seen = self.seen[indicator]
        if seen is None:
            return None
        problem = seen.problem(indicator, value)
        if problem:
            return f"implausible figure: {problem}; if it is right, import again with --confirm"
        self.seen[indicator] = seen.widened(value)
        return None


class Rejects:
    """The bad rows: written to the reject file with their line and problem
    (``skip_bad``), else kept as problems (the first thousand) for the error."""

    def __init__(self, result: ImportResult, header: list[str]) -> None:
        self.result = result
        self.file: IO[str] | None = None
        self.writer: Any = None
        if result.reject_path is not None:
            self.file = open(result.reject_path, "w", newline="", encoding="utf-8")
            self.writer = csv.writer(self.file)
            self.writer.writerow(["line", "problem", *header])

    def add(self, line: int, raw: list[str], problem: str) -> None:
        self.result.rejected += 1
        if self.writer is not None:
            self.writer.writerow([line, problem, *raw])
        elif len(self.result.problems) < 1000:
            self.result.problems.append(f"line {line}: {problem}")

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


class BatchWriter:
    """Inserts good rows :data:`BATCH` at a time. A batch that meets a row already stored
    (or earlier in the file) is retried row by row inside a savepoint, so only that row
    is bad: it goes to ``rejects``."""

    def __init__(self, conn: sqlite3.Connection, replace: bool, rejects: Rejects) -> None:
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        self.sql = f"{verb} INTO observations (indicator, date, value, source, note) VALUES (?, ?, ?, ?, ?)"
        self.conn = conn
        self.rejects = rejects
        self.imported = 0
        self.touched: set[str] = set()
        self.rows: list[Row] = []
        self.lines: list[int] = []
        self.raws: list[list[str]] = []

    def add(self, row: Row, line: int, raw: list[str]) -> None:
        self.rows.append(row)
        self.lines.append(line)
        self.raws.append(raw)

    def full(self) -> bool:
        return len(self.rows) >= BATCH

    def flush(self) -> None:
        if not self.rows:
            return
        conn, sql = self.conn, self.sql
        conn.execute("SAVEPOINT observations_batch")
        try:
            conn.executemany(sql, self.rows)
        except sqlite3.IntegrityError:
            conn.execute("ROLLBACK TO observations_batch")
            for row, line, raw in zip(self.rows, self.lines, self.raws, strict=True):
                try:
                    conn.execute(sql, row)
                except sqlite3.IntegrityError:
                    self.rejects.add(line, raw, f"{row[0]} already has an observation on {row[1]} "
                                                f"(in the database or earlier in the file); "
                                                f"use --replace to overwrite")
                else:
                    self.imported += 1
                    self.touched.add(row[0])
        else:
            self.imported += len(self.rows)
            self.touched.update(r[0] for r in self.rows)
        conn.execute("RELEASE observations_batch")
        self.rows, self.lines, self.raws = [], [], []


def _nothing_imported(name: str, result: ImportResult) -> str:
    shown = result.problems[:SHOWN_PROBLEMS]
    more = result.rejected - len(shown)
    return (f"{name}: {result.rejected} bad row(s), nothing was imported: "
            + "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
            + "; fix them, or use --skip-bad to import the good rows")


def _log(p: Partnership, path: Path, result: ImportResult, touched: set[str]) -> None:
    """One change-log entry for the whole import."""
    p.store.log(
        "import", "observation", path.name,
        f"imported {result.imported} observation(s) of {result.indicators} "
        f"indicator(s) from {path.name}"
        + (f" ({result.rejected} rejected)" if result.rejected else ""),
        {"file": path.name, "count": result.imported,
         "indicators": sorted(touched)[:100], "rejected": result.rejected})
