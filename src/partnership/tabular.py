"""The one CSV reader and writer for files people make and open in spreadsheets.

Every import of CSV (``import partners.csv``, ``observe --csv``, the sections of an
export) reads through :func:`open_csv`, so every one of them:

- matches headers case- and space-insensitively (``Due date``, ``due date`` and
  ``due_date`` are the same column; see :func:`normalise`);
- reads UTF-8 with or without a byte-order mark, and Windows-1252 (what Excel's plain
  "CSV (Comma delimited)" writes on Windows); a file that is neither, where a guess would
  be unsafe, gets one line naming the menu item that saves CSV UTF-8 in Excel and in
  LibreOffice;
- takes CRLF or LF line ends;
- ignores the ``line`` and ``problem`` columns of a reject file (:data:`REJECT_COLUMNS`)
  and the read-only columns an export adds beside the data (names beside slugs), so a
  reject file imports again as it stands once fixed, and so does an export.

Every CSV written for people goes through :func:`write_csv` or :func:`csv_text`:
formula cells neutralised (:func:`partnership.outfiles.for_people`), yes/no for
booleans, ``2`` not ``2.0``, and a UTF-8 byte-order mark in files (Excel on Windows
reads a file without one as its older encoding and garbles £ and accents; every CSV
reader of this project, Python's ``utf-8-sig``, LibreOffice and pandas skip it). Text
printed to the terminal has no mark unless ``excel`` is asked for.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from .errors import ImportFileError
from .words import noun

__all__ = ["REJECT_COLUMNS", "CsvFile", "SAVE_AS_UTF8", "cell_text", "csv_text", "detect_encoding",
           "normalise", "open_csv", "open_text", "positions", "write_csv"]

#: the columns a reject file puts before the row as written; ignored when it is imported again
REJECT_COLUMNS = ("line", "problem")

#: the way out for a file in an encoding that cannot be guessed safely
SAVE_AS_UTF8 = ("save it again as CSV UTF-8: in Excel, File > Save As > 'CSV UTF-8 (Comma delimited)'; "
                "in LibreOffice, File > Save As > 'Text CSV', tick 'Edit filter settings' and choose "
                "'Unicode (UTF-8)'")

_SEPARATORS = re.compile(r"[\s\-_]+")
_CHUNK = 1 << 20
#: bytes Windows-1252 leaves undefined, and control characters no spreadsheet writes
_ODD = {0x81, 0x8D, 0x8F, 0x90, 0x9D} | (set(range(0x20)) - {0x09, 0x0A, 0x0D})
_NOT_ODD = bytes(b for b in range(256) if b not in _ODD)


def normalise(header: str) -> str:
    """A column name as the importers match it: ``' Due date '``, ``'DUE-DATE'`` and
    ``'due_date'`` all give ``'due_date'`` (a byte-order mark left in it is dropped)."""
    # a byte-order mark, or one read as Windows-1252 text ("ï»¿") by a spreadsheet, is not part of it
    cleaned = header.replace("\ufeff", "").replace("\u00ef\u00bb\u00bf", "")
    return _SEPARATORS.sub("_", cleaned.strip().lower()).strip("_")


def _compact(header: str) -> str:
    """:func:`normalise` without the separators, so ``Web site`` is ``website``."""
    return normalise(header).replace("_", "")


def detect_encoding(path: str | Path) -> str:
    """``'utf-8-sig'`` for UTF-8 (with or without a byte-order mark, so plain ASCII too),
    ``'cp1252'`` for text Excel saved in Windows' older encoding, else
    :class:`ImportFileError` with the menu item that saves CSV UTF-8.

    The whole file is read once, in binary chunks (about 40 ms for 40 MB). Windows-1252 is
    taken only when the file is not UTF-8, holds no NUL byte (UTF-16, a binary file) and
    every byte is one Windows-1252 defines and prints (no control characters): anything
    else would be a guess."""
    path = Path(path)
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror}") from None
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = True
    odd = False  # a byte no Windows-1252 text holds (below), met anywhere in the file
    with f:
        head = f.read(4)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise ImportFileError(f"{path} is saved as UTF-16 text, which import does not read; "
                                  f"{SAVE_AS_UTF8}")
        f.seek(0)
        while chunk := f.read(_CHUNK):
            if b"\x00" in chunk:
                raise ImportFileError(f"{path} is not a text file (it holds NUL bytes); if it is a "
                                      f"spreadsheet, {SAVE_AS_UTF8}")
            if utf8_ok:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
            # the odd bytes kept, the others deleted: one pass in C, not a set of every byte
            odd = odd or bool(chunk.translate(None, _NOT_ODD))
        if utf8_ok:
            try:
                utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8_ok = False
    if utf8_ok:
        return "utf-8-sig"
    if odd:
        raise ImportFileError(f"{path} is neither UTF-8 nor Windows-1252 text, and a guess could "
                              f"change its letters; {SAVE_AS_UTF8}")
    return "cp1252"


def open_text(path: str | Path) -> tuple[IO[str], str]:
    """The file at ``path`` opened for :mod:`csv` in the encoding :func:`detect_encoding`
    finds, and that encoding."""
    encoding = detect_encoding(path)
    try:
        return open(path, newline="", encoding=encoding), encoding
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror}") from None


def positions(header: Sequence[str], path: str | Path, *, columns: Sequence[str],
              required: Sequence[str] = (), ignored: Iterable[str] = (), what: str = "rows",
              blank_ok: bool = False) -> dict[str, int]:
    """Where each known column is in ``header`` (matched by :func:`normalise`), or one
    :class:`ImportFileError` naming every unknown, repeated or missing column. A blank
    header is refused (its column may hold data) unless it ends the line, or ``blank_ok``
    (a worksheet, whose empty columns around a table read as blank headers)."""
    known = {_compact(c): c for c in columns}
    skip = {_compact(c) for c in (*REJECT_COLUMNS, *ignored)} - set(known)
    found: dict[str, int] = {}
    unknown: list[str] = []
    repeated: list[str] = []
    for i, written in enumerate(header):
        name = _compact(written)
        if not name and (blank_ok or (i == len(header) - 1 and i)):
            continue  # a trailing comma on the header line, or an empty column of a sheet
        if name in skip:
            continue
        if name not in known:
            unknown.append(written.strip() or f"(blank, column {i + 1})")
        elif known[name] in found:
            repeated.append(written.strip())
        else:
            found[known[name]] = i
    problems = []
    if unknown:
        problems.append(f"unknown {noun(len(unknown), 'column')} {', '.join(unknown)} for {what}")
    if repeated:
        problems.append(f"{noun(len(repeated), 'column')} {', '.join(repeated)} given twice")
    missing = [c for c in required if c not in found]
    if missing:
        problems.append(f"missing {noun(len(missing), 'column')} {', '.join(missing)}")
    if problems:
        raise ImportFileError(f"{path} line 1: {'; '.join(problems)} (the columns are "
                              f"{', '.join(columns)}, in any order and any case)")
    return found


class CsvFile:
    """A CSV file open for import: its encoding, its header, where each known column is,
    and its rows (:meth:`rows`). Use it as a context manager."""

    def __init__(self, path: str | Path, *, columns: Sequence[str], required: Sequence[str] = (),
                 ignored: Iterable[str] = (), what: str = "rows") -> None:
        self.path = Path(path)
        if self.path.is_dir() or not self.path.exists():
            raise ImportFileError(f"no file {self.path}; check the path")
        self.handle, self.encoding = open_text(self.path)
        self.reader = csv.reader(self.handle)
        try:
            try:
                self.header = next(self.reader)
            except StopIteration:
                raise ImportFileError(f"{self.path} is empty; its first line must name the columns "
                                      f"({', '.join(columns)})") from None
            except csv.Error as exc:
                raise ImportFileError(f"{self.path} line 1 is not valid CSV ({exc})") from None
            self.at = positions(self.header, self.path, columns=columns, required=required,
                                ignored=ignored, what=what)
        except BaseException:
            self.handle.close()
            raise

    @property
    def line(self) -> int:
        """The line the last row read ended on."""
        return self.reader.line_num

    def raw_rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line, cells as written) for each row that is not blank."""
        try:
            for raw in self.reader:
                if not raw or all(not c.strip() for c in raw):
                    continue
                yield self.reader.line_num, raw
        except csv.Error as exc:
            raise ImportFileError(f"{self.path} line {self.reader.line_num} is not valid CSV ({exc}); "
                                  f"check the quotes on that line") from None

    def rows(self) -> Iterator[tuple[int, list[str], dict[str, str] | str]]:
        """(line, cells as written, the known columns' non-blank cells) for each row; the
        third item is a problem instead for a row with more cells than the header has
        columns."""
        from .outfiles import from_people

        width = len(self.header)
        for line, raw in self.raw_rows():
            if len(raw) > width and any(c.strip() for c in raw[width:]):
                yield line, raw, f"has {len(raw)} values but the header names {width} columns"
                continue
            row: dict[str, str] = {}
            for name, i in self.at.items():
                if i < len(raw) and raw[i].strip() != "":
                    # a cell 'neutralised' by a CSV export (=..., +..., -..., @...) loses its apostrophe
                    row[name] = from_people(raw[i])
            yield line, raw, row

    def close(self) -> None:
        self.handle.close()

    def __enter__(self) -> CsvFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def open_csv(path: str | Path, *, columns: Sequence[str], required: Sequence[str] = (),
             ignored: Iterable[str] = (), what: str = "rows") -> CsvFile:
    """Open a CSV file for import; see :class:`CsvFile` and the module's docstring."""
    return CsvFile(path, columns=columns, required=required, ignored=ignored, what=what)


# -- writing -----------------------------------------------------------------------------------


def cell_text(value: Any) -> Any:
    """A value as a CSV cell for people: yes/no, ``2`` not ``2.0``, an enum's value, a
    date as YYYY-MM-DD, nothing for None."""
    import datetime as dt
    import enum

    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        value = value + 0.0  # no -0
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _write(f: IO[str], columns: Sequence[str], rows: Iterable[Mapping[str, Any]],
           lineterminator: str = "\r\n") -> None:
    from .outfiles import csv_writer_for_people

    writer = csv_writer_for_people(f, lineterminator=lineterminator)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell_text(row.get(c)) for c in columns])


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]], *, excel: bool = False) -> str:
    """CSV for people as text (for the terminal); ``excel`` starts it with a byte-order mark."""
    out = io.StringIO()
    if excel:
        out.write("\ufeff")
    _write(out, columns, rows, "\n")
    return out.getvalue()


def write_csv(target: str | os.PathLike[str], columns: Sequence[str], rows: Iterable[Mapping[str, Any]], *,
              protect: Iterable[Any] = (), private: bool, force: bool = False,
              recognise: Callable[[Path], bool] | None = None, what: str = "a CSV file",
              excel: bool = True) -> Path:
    """Write CSV for people to ``target`` through :func:`partnership.outfiles.write_output`
    (temporary file and rename, private permissions when ``private``), with a byte-order
    mark unless ``excel`` is false."""
    from .outfiles import write_output

    def write(f: IO[str]) -> None:
        if excel:
            f.write("\ufeff")
        _write(f, columns, rows)

    return write_output(target, write, protect=protect, private=private, force=force,
                        recognise=recognise, what=what, newline="")
