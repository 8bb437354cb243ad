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
rules looks at the one value alone. Rows are read :data:`BATCH` at a time: a chunk whose
rows are all plain is checked a column at a time (:meth:`RowCheck.columns`), with the
same readers and the same outcome; any other chunk is read row by row, which words each
problem. A large import keeps the trend sums at the end (:class:`TrendSums`).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import itertools
import json
import operator
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs
from attrs import define, field

from .. import tabular
from .. import validators as v
from ..errors import ImportFileError, NotFound
from ..words import plural
from .service import Observation, Seen, future_problem, seen_range, seen_ranges

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
#: distinct indicators and dates remembered as valid
DISTINCT = 1 << 17
#: rows an import inserts before it may keep the trend sums at the end (TrendSums)
SUMS_AT_END_FROM = 5000

Row = tuple[str, str, float, str, str]
#: a chunk of good rows as columns: indicator, date, value, source, note
Columns = tuple[list[str], list[str], list[float], list[str], list[str]]

#: a column of plain numbers, joined by newlines (each cell as validators.NUMBER_RE matches
#: it; atomic groups, so a column that does not match fails in one pass)
_NUMBER = v.NUMBER_RE.pattern.removeprefix(r"\A").removesuffix(r"\Z")
_PLAIN_NUMBERS = re.compile(rf"(?>{_NUMBER})(?:\n(?>{_NUMBER}))*+")


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
            writer.sums = TrendSums(p.store.conn)
            for lines, raws in chunks(reader):
                columns = check.columns(raws)
                if columns is None:  # a row to read alone: blank, short, or with a problem
                    for line, raw, row in checked_rows(zip(lines, raws, strict=True), check, rejects):
                        problem = plausible(row)
                        if problem:
                            rejects.add(line, raw, problem)
                            continue
                        # rows go on being inserted after a bad one (rolled back at the end), so
                        # a row repeating one earlier in the file is found in the same pass
                        writer.add(row, line, raw)
                        if writer.full():
                            writer.flush()
                            if progress:
                                progress(line)
                else:
                    _take_plain(columns, lines, raws, plausible, writer, rejects, progress)
            writer.flush()
            if progress:
                progress(reader.line_num)
            if refusing():
                raise ImportFileError(_nothing_imported(name, result), result.problems)
            result.imported, result.indicators = writer.imported, len(writer.touched)
            writer.sums.finish(writer.touched)
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


def chunks(reader: Any) -> Iterator[tuple[list[int], list[list[str]]]]:
    """The rows of ``reader``, :data:`BATCH` at a time, each with the line it ends on."""
    size = BATCH
    while True:
        lines: list[int] = []
        raws: list[list[str]] = []
        add_line, add_raw = lines.append, raws.append
        for raw in itertools.islice(reader, size):
            add_raw(raw)
            add_line(reader.line_num)
        if not raws:
            return
        yield lines, raws


def checked_rows(numbered: Iterable[tuple[int, list[str]]], check: RowCheck, rejects: Rejects,
                 ) -> Iterator[tuple[int, list[str], Row]]:
    """(line number, the row as written, the row to insert) for each good row of
    ``numbered`` ((line, row as written) pairs); each bad row goes to ``rejects``; blank
    lines are skipped."""
    for line, raw in numbered:
        if not raw or (len(raw) == 1 and not raw[0].strip()):
            continue
        checked = check(raw, suggest=rejects.result.rejected < SUGGESTED)
        if isinstance(checked, str):
            rejects.add(line, raw, checked)
        else:
            yield line, raw, checked


def _take_plain(columns: Columns, lines: list[int], raws: list[list[str]], plausible: Plausibility,
                writer: BatchWriter, rejects: Rejects, progress: Callable[[int], None] | None) -> None:
    """Take a chunk of good rows (``columns``, from :meth:`RowCheck.columns`) exactly as
    the row-by-row loop would: each figure checked for plausibility in file order, the
    writer flushed when it holds :data:`BATCH` rows, bad rows reported in the same order."""
    indicators, values = columns[0], columns[2]
    rows = list(zip(*columns, strict=True))
    start, n = 0, len(rows)
    while start < n:
        # up to the row that fills the writer: where the row-by-row loop would flush
        end = min(n, start + BATCH - len(writer.rows))
        refused = plausible.refused(indicators, values, start, end)
        if refused:
            for i in range(start, end):
                if i in refused:
                    rejects.add(lines[i], raws[i], refused[i])
                else:
                    writer.add(rows[i], lines[i], raws[i])
        elif start == 0 and end == n:  # the whole chunk, as it is
            writer.extend(rows, lines, raws)
        else:
            writer.extend(rows[start:end], lines[start:end], raws[start:end])
        if writer.full():
            writer.flush()
            if progress:
                progress(lines[end - 1])
        start = end


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
        # the columns of a chunk of plain rows (columns()): each distinct cell read once
        self.widest = max(positions.values())
        self.indicators = Cells(self._known_indicator, DISTINCT)
        self.dates = Cells(lambda cell: self.date(cell.strip()), DISTINCT)
        self.sources = Cells(self.source, REMEMBERED)
        self.notes = Cells(self.note, REMEMBERED)

    def __call__(self, raw: list[str], *, suggest: bool = True) -> Row | str:
        """The row to insert, or the problem with it (``suggest``: with a did-you-mean)."""
        try:
            indicator = raw[self.at_indicator].strip()
            date_text = raw[self.at_date].strip()
            value_text = raw[self.at_value]
            source = raw[self.at_source] if self.at_source is not None else ""
            note = raw[self.at_note] if self.at_note is not None else ""
        except IndexError:
            return f"has {plural(len(raw), 'field')}, fewer than the header's columns"
        if indicator not in self.known:
            if not suggest:
                return f"no indicator '{indicator}' in this partnership"
            return str(NotFound("indicator", indicator, sorted(self.known)))
        try:
            return (self.indicator(indicator), self.date(date_text), self.value(value_text),
                    self.source(source), self.note(note))
        except v.FieldProblem as exc:
            return str(exc)

    def columns(self, raws: list[list[str]]) -> Columns | None:
        """The rows of ``raws`` as the five columns to insert, when every row is plain:
        as wide as the header, and each cell reads without a problem. Each cell is then
        what :meth:`__call__` makes of it (a distinct cell is read once, by the same
        readers; plain numbers are recognised by the pattern ``validators.number``
        accepts, all of a column at once). None when some row must be read alone
        (blank, short, or with a problem): :meth:`__call__` then words the problem."""
        try:
            return self._columns(raws)
        except IndexError:  # a row narrower than the header, or blank
            return None

    def _columns(self, raws: list[list[str]]) -> Columns | None:
        indicators = self.indicators.column(_cells(raws, self.at_indicator))
        if indicators is None:
            return None
        dates = self.dates.column(_cells(raws, self.at_date))
        if dates is None:
            return None
        values = self._values(_cells(raws, self.at_value))
        if values is None:
            return None
        sources = self._optional(self.sources, raws, self.at_source)
        if sources is None:
            return None
        notes = self._optional(self.notes, raws, self.at_note)
        if notes is None:
            return None
        return indicators, dates, values, sources, notes

    def _known_indicator(self, cell: str) -> str:
        indicator = cell.strip()
        if indicator not in self.known:
            raise v.FieldProblem("unknown indicator")  # read alone, with its did-you-mean
        return str(self.indicator(indicator))

    def _values(self, cells: list[str]) -> list[float] | None:
        joined = "\n".join(cells)
        # one pattern over the column: each cell written as validators.number reads it at once
        if joined.count("\n") == len(cells) - 1 and _PLAIN_NUMBERS.fullmatch(joined):
            values = list(map(float, cells))
            if max(map(abs, values)) <= 1e15:  # else too large: read alone, with its words
                return [x + 0.0 for x in values] if 0.0 in values else values  # no -0
        try:
            return list(map(self.value, cells))
        except v.FieldProblem:
            return None

    def _optional(self, cells: Cells, raws: list[list[str]], at: int | None) -> list[str] | None:
        if at is None:
            return [cells.read("")] * len(raws)
        return cells.column(_cells(raws, at))


def _cells(raws: list[list[str]], at: int) -> list[str]:
    return list(map(operator.itemgetter(at), raws))


class Cells:
    """What ``read`` makes of each distinct cell of a column met so far (at most
    ``limit`` remembered): a column is read with one dictionary look-up per cell."""

    def __init__(self, read: Callable[[str], Any], limit: int) -> None:
        self.read, self.limit = read, limit
        self.values: dict[str, Any] = {}
        self.same = True  # every value is its cell as written

    def column(self, cells: list[str]) -> list[Any] | None:
        """Each cell's value, or None when a cell has a problem."""
        values = self.values
        new = set(cells).difference(values)
        if new:
            if len(values) + len(new) > self.limit:
                values.clear()
                self.same = True
                new = set(cells)
            for cell in new:
                try:
                    value = self.read(cell)
                except v.FieldProblem:
                    return None
                values[cell] = value
                if value != cell:
                    self.same = False
        return cells if self.same else list(map(values.__getitem__, cells))


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
        return self.check(row[0], row[2])

    def _seen(self, indicator: str) -> Seen | None:
        if indicator not in self.seen:
            self.seen[indicator] = seen_range(self.conn, indicator)
        return self.seen[indicator]

    def refused(self, indicators: list[str], values: list[float], start: int, end: int,
                ) -> dict[int, str]:
        """The problem of each implausible figure among rows ``start`` to ``end``, by
        row, each taken in turn as :meth:`check` takes it. A run of rows of one indicator
        whose lowest and highest figures are plausible is taken at once: what it has
        seen only widens, so every figure of the run is plausible."""
        refused: dict[int, str] = {}
        if self.confirm:
            return refused
        new = set(indicators[start:end]).difference(self.seen)
        if new:  # read at once, as seen_range would read each
            self.seen.update(seen_ranges(self.conn, new))
        i = start
        for indicator, run in itertools.groupby(indicators[start:end]):
            j = i + len(list(run))
            if not self._plausible_run(indicator, values[i:j]):
                for k in range(i, j):
                    problem = self.check(indicator, values[k])
                    if problem:
                        refused[k] = problem
            i = j
        return refused

    def _plausible_run(self, indicator: str, values: list[float]) -> bool:
        seen = self._seen(indicator)
        if seen is None:
            return True
        low, high, margin = min(values), max(values), seen.margin
        # the comparisons of Seen.problem
        if seen.low - margin <= low and high <= seen.high + margin:
            self.seen[indicator] = seen.widened(low).widened(high)
            return True
        return False

    def check(self, indicator: str, value: float) -> str | None:
        """Why ``value`` is implausible for ``indicator`` (None if it is plausible, and
        then what the indicator has seen widens to it)."""
        if self.confirm:
            return None
        seen = self._seen(indicator)
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
        self.sums: TrendSums | None = None

    def add(self, row: Row, line: int, raw: list[str]) -> None:
        self.rows.append(row)
        self.lines.append(line)
        self.raws.append(raw)

    def extend(self, rows: list[Row], lines: list[int], raws: list[list[str]]) -> None:
        if not self.rows:  # taken as they are (the caller keeps no other use of them)
            self.rows, self.lines, self.raws = rows, lines, raws
            return
        self.rows.extend(rows)
        self.lines.extend(lines)
        self.raws.extend(raws)

    def full(self) -> bool:
        return len(self.rows) >= BATCH

    def flush(self) -> None:
        if not self.rows:
            return
        conn, sql = self.conn, self.sql
        if self.sums is not None:
            self.sums.consider(self.imported + len(self.rows))
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
            self.touched.update(map(operator.itemgetter(0), self.rows))
        conn.execute("RELEASE observations_batch")
        self.rows, self.lines, self.raws = [], [], []


class TrendSums:
    """The trend sums (``observation_sums``) of a large import, computed once at the end
    instead of row by row.

    The trigger that adds each inserted observation to its indicator's sums costs about
    as much as the insert itself. Once an import has inserted :data:`SUMS_AT_END_FROM`
    rows and at least a quarter as many as the file already holds, the trigger is
    dropped inside the import's transaction, and :meth:`finish` recomputes the sums of
    every indicator the import touched from its observations (the query
    ``partnership doctor`` checks them against) and creates the trigger again from its
    stored text. The transaction makes it all or nothing: a refused or failed import
    rolls back to the trigger and the sums as they were; no other writer can insert
    meanwhile, and readers see the file as it was until the commit. Recomputing reads
    the indicators' earlier observations too, hence the quarter: it then costs less
    than the trigger would."""

    TRIGGER = "observations_sums_insert"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                           [self.TRIGGER]).fetchone()
        self.sql: str | None = row[0] if row else None
        self.stored = 0
        if self.sql is not None:
            self.stored = conn.execute("SELECT total(n) FROM observation_sums").fetchone()[0]
        self.at_end = False

    def consider(self, rows: int) -> None:
        """Before inserting: ``rows`` rows of this import inserted or about to be."""
        if self.sql is None or self.at_end:
            return
        if rows >= SUMS_AT_END_FROM and 4 * rows >= self.stored:
            self.conn.execute(f"DROP TRIGGER {self.TRIGGER}")
            self.at_end = True

    def finish(self, touched: set[str]) -> None:
        """The sums of the indicators in ``touched`` recomputed, and the trigger back."""
        if not self.at_end or self.sql is None:
            return
        self.conn.execute(
            "INSERT OR REPLACE INTO observation_sums (indicator, n, sd, sy, sdy, sdd) "
            "SELECT indicator, count(*), sum(day - 730000), sum(value), sum((day - 730000) * value), "
            "sum((day - 730000) * (day - 730000)) FROM observations "
            "WHERE indicator IN (SELECT value FROM json_each(?)) GROUP BY indicator",
            [json.dumps(sorted(touched))])
        self.conn.execute(self.sql)
        self.at_end = False


def _nothing_imported(name: str, result: ImportResult) -> str:
    shown = result.problems[:SHOWN_PROBLEMS]
    more = result.rejected - len(shown)
    return (f"{name}: {plural(result.rejected, 'bad row')}, nothing was imported: "
            + "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
            + "; fix them, or use --skip-bad to import the good rows")


def _log(p: Partnership, path: Path, result: ImportResult, touched: set[str]) -> None:
    """One change-log entry for the whole import."""
    p.store.log(
        "import", "observation", path.name,
        f"imported {plural(result.imported, 'observation')} of "
        f"{plural(result.indicators, 'indicator')} from {path.name}"
        + (f" ({result.rejected} rejected)" if result.rejected else ""),
        {"file": path.name, "count": result.imported,
         "indicators": sorted(touched)[:100], "rejected": result.rejected})
