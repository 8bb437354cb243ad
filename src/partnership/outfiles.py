"""Every file a command writes, written one safe way.

Exports, backups, reject files, the public database and its metadata, contact lists
and the demo are all written through :class:`OutputFile` (or :func:`write_output`):

* never the working database, its ``-wal``, ``-shm`` or ``-journal`` file, or the file
  being read, by whatever name (``./w.db``, a symbolic link, a hard link): refused even
  with ``force``;
* never through a link: the data goes to a new temporary file beside the target,
  created exclusively (``O_CREAT | O_EXCL | O_NOFOLLOW``) under a name of the form
  ``.NAME.partnership-tmp-PID-RANDOM``, flushed to disk and renamed over the target
  with :func:`os.replace`, so a reader sees the old file or the new one, never half;
  a link at the target itself is replaced (with ``force``), never followed;
* private files (``private=True``: anything holding contact details or other
  non-public data) are created readable and writable by their owner only (0600);
  others get the usual permissions (0666 less the umask);
* an existing file is replaced only if it is empty, or ``recognise(path)`` says it is
  a file this command wrote (an export, a backup, a public database, ...), or
  ``force`` is given; a folder, a device or a pipe is never replaced;
* the temporary file is removed on any error, and on KeyboardInterrupt; one left by
  a process that was killed is removed by the next write to the same target once
  its process id is gone.

CSV written for people goes through :func:`csv_writer_for_people`, which neutralises
cells a spreadsheet would run as a formula; :func:`from_people` undoes it on import.

Nothing here knows about click: errors are :class:`OutputFileError` (a
:class:`~partnership.errors.PartnershipError`) with one sentence naming the way out.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from .errors import AlreadyExists, PartnershipError

PathLike = str | os.PathLike[str]
#: a path to protect, or (path, what it is) for the error message
Protected = PathLike | tuple[PathLike, str]

#: the mark in every temporary file name, between the target's name and the writer's pid
TEMP_TAG = ".partnership-tmp-"
#: at most this much of the target's name goes into a temporary file name
_NAME_KEPT = 100
#: the companions SQLite keeps beside a database file
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


class OutputFileError(PartnershipError):
    """A file a command was asked to write may not, or cannot, be written there."""


class OutputExists(OutputFileError, AlreadyExists):
    """The target exists and is not a file this command wrote (give ``force``)."""

    def __init__(self, message: str, target: Path) -> None:
        PartnershipError.__init__(self, message)
        self.what = "file"
        self.key = str(target)


# -- what must never be written ---------------------------------------------------------------


def protected_paths(db_path: PathLike) -> list[tuple[Path, str]]:
    """The working database and the companions SQLite keeps beside it."""
    db = Path(db_path)
    found = [(db, "the working database")]
    for suffix in SQLITE_COMPANIONS:
        found.append((Path(str(db) + suffix), f"the working database's {suffix} file"))
    return found


def _protections(protect: Iterable[Protected]) -> list[tuple[Path, str]]:
    found = []
    for item in protect:
        if isinstance(item, tuple):
            found.append((Path(item[0]), item[1]))
        else:
            found.append((Path(item), "a file this command reads"))
    return found


def same_file(a: Path, b: Path) -> bool:
    """Do ``a`` and ``b`` name the same file (any spelling, link or hard link)?"""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def _protected_as(target: Path, protect: list[tuple[Path, str]]) -> str | None:
    for path, label in protect:
        if str(path) == ":memory:" or not str(path):
            continue
        if same_file(target, path):
            return label
    return None


# -- checking a target --------------------------------------------------------------------------


def check_target(target: PathLike, *, protect: Iterable[Protected] = (), force: bool = False,
                 recognise: Callable[[Path], bool] | None = None,
                 what: str = "a file this command wrote", sqlite: bool = False) -> Path:
    """Refuse, in one sentence, a target this command may not write; return it as a Path.

    ``recognise(path)`` says whether an existing file is one this command wrote (and so
    may be replaced without ``force``); without it any existing file needs ``force``.
    ``what`` names such a file in the message. ``sqlite`` also protects the target's
    own ``-wal``/``-shm``/``-journal`` names (they are removed when it is replaced).
    """
    text = os.fspath(target)
    if not text or not text.strip():
        raise OutputFileError("no file name given; give the path of the file to write")
    if "\x00" in text:
        raise OutputFileError("a file name cannot hold a NUL character; give another path")
    target = Path(text)
    protections = _protections(protect)
    names = [target] + ([Path(text + s) for s in SQLITE_COMPANIONS] if sqlite else [])
    for name in names:
        label = _protected_as(name, protections)
        if label is not None and name == target:
            raise OutputFileError(
                f"{target} is {label}; refusing to write over it: choose another file name")
        if label is not None:
            raise OutputFileError(
                f"cannot write {target}: its {name.name[len(target.name):]} file would be "
                f"{label}; choose another file name")
    folder = target.parent
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        info = None
    except NotADirectoryError:
        raise OutputFileError(
            f"cannot write {target}: {_nearest_file(folder)} is a file, not a folder; "
            f"choose another path") from None
    except OSError as exc:
        raise OutputFileError(f"cannot write {target}: {exc.strerror}; choose another path") from None
    if info is None and not folder.is_dir():
        if folder.exists() or _nearest_file(folder) is not None:
            raise OutputFileError(
                f"cannot write {target}: {_nearest_file(folder) or folder} is a file, not a "
                f"folder; choose another path")
        raise OutputFileError(
            f"cannot write {target}: the folder {folder} does not exist; create it or "
            f"choose another folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputFileError(
            f"cannot write {target}: the folder {folder} is not writable; choose another folder")
    if info is None:
        return target
    if stat.S_ISLNK(info.st_mode):
        if not force:
            raise OutputFileError(
                f"{target} is a symbolic link; refusing to write through it: give the real "
                f"path, or add --force to replace the link itself (never what it points at)")
        return target
    if stat.S_ISDIR(info.st_mode):
        raise OutputFileError(
            f"{target} is a folder; give the name of a file to write, such as "
            f"{target / ('out' + (target.suffix or ''))}")
    if not stat.S_ISREG(info.st_mode):
        raise OutputFileError(
            f"{target} is not a regular file (a device, a pipe or a socket); refusing to "
            f"replace it: choose another file name")
    if force:
        return target
    if recognise is None:
        raise OutputExists(
            f"{target} already exists; choose a new file name, or add --force to replace it",
            target)
    if info.st_size == 0:
        return target
    try:
        ours = bool(recognise(target))
    except Exception:  # noqa: BLE001 - a recogniser reads files anyone can make: never trust it to work
        ours = False
    if not ours:
        raise OutputExists(
            f"{target} exists and is not {what}; refusing to replace it: choose a new file "
            f"name, or add --force to replace it", target)
    return target


@contextlib.contextmanager
def output_folder(folder: PathLike) -> Iterator[Path]:
    """The folder a command writes several files into, made if it is missing (its parent
    must exist: a mistyped path is refused, not built), for the ``with`` block; made here
    and still empty when the block fails, it is removed again. Each file written into it
    still goes through :func:`write_output` (never through a link, never the database)."""
    text = os.fspath(folder)
    if not text or not text.strip() or "\x00" in text:
        raise OutputFileError("no folder given; give the path of a folder to write into")
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise OutputFileError(f"{text} is a file, not a folder; give a folder to write into "
                              f"(it is made if it does not exist yet)")
    made = False
    if not path.exists():
        if not path.parent.is_dir():
            raise OutputFileError(f"cannot make the folder {text}: {path.parent} does not exist; "
                                  f"check the path")
        try:
            path.mkdir()
        except OSError as exc:
            raise OutputFileError(f"cannot make the folder {text} ({exc.strerror or exc}); "
                                  f"give another folder") from None
        made = True
    try:
        yield path
    except BaseException:
        if made:
            with contextlib.suppress(OSError):
                path.rmdir()  # only if still empty
        raise


def _nearest_file(folder: Path) -> Path | None:
    """The first part of ``folder`` that exists and is not a folder, if any."""
    for part in [*reversed(folder.parents), folder]:
        if part.exists() and not part.is_dir():
            return part
    return None


# -- temporary files ----------------------------------------------------------------------------


def _temp_prefix(target: Path) -> str:
    return f".{target.name[:_NAME_KEPT]}{TEMP_TAG}"


def remove_abandoned(target: PathLike) -> list[Path]:
    """Remove temporary files for ``target`` left by writers that were killed.

    Each temporary file name carries its writer's process id; one whose process is gone
    can never be finished. A file of a running process (or of another user's, which we
    cannot judge) is left alone. Returns what was removed.
    """
    target = Path(target)
    prefix = _temp_prefix(target)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        pid = entry.name[len(prefix):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            try:
                os.unlink(entry.path)  # a link is removed, never followed
                removed.append(Path(entry.path))
            except OSError:
                pass
        except (OverflowError, OSError, ValueError):
            continue
    return removed


def _create_temp(target: Path, private: bool, suffix: str = "") -> Path:
    """A new empty file beside ``target``, made exclusively (never through a link)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) \
        | getattr(os, "O_CLOEXEC", 0)
    prefix = _temp_prefix(target)
    for _ in range(100):
        tmp = target.parent / f"{prefix}{os.getpid()}-{secrets.token_hex(6)}{suffix}"
        try:
            fd = os.open(tmp, flags, 0o600 if private else 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise _cannot_write(target, exc) from None
        os.close(fd)
        return tmp
    raise OutputFileError(f"cannot write {target}: no free temporary name; try again")


@contextlib.contextmanager
def scratch_file(beside: PathLike, *, private: bool = True) -> Iterator[Path]:
    """A private scratch file beside ``beside``, made like a temporary output file and
    always removed when the block ends (for a writer whose output is copied on)."""
    tmp = _create_temp(Path(beside), private)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def _cannot_write(target: Path, exc: OSError) -> OutputFileError:
    folder = target.parent
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) or (
            exc.errno == errno.ENOENT and folder.is_dir()):  # e.g. /proc takes no new files
        return OutputFileError(
            f"cannot write {target}: the folder {folder} is not writable ({exc.strerror}); "
            f"choose another folder")
    if exc.errno == errno.ENAMETOOLONG:
        return OutputFileError(f"cannot write {target}: the file name is too long; choose a shorter one")
    return OutputFileError(f"cannot write {target}: {exc.strerror or exc}; choose another path")


class OutputFile:
    """One file being written: check, write to an exclusive temporary file, commit.

    ``with OutputFile(target, ...) as tmp:`` yields the temporary file's path (for
    writers that need a path, such as SQLite); :meth:`open` gives a file object
    instead. On leaving the block without an error the file is committed (flushed,
    given its permissions, renamed over the target); on any error it is removed.
    """

    def __init__(self, target: PathLike, *, protect: Iterable[Protected] = (), private: bool,
                 force: bool = False, recognise: Callable[[Path], bool] | None = None,
                 what: str = "a file this command wrote", sqlite: bool = False,
                 suffix: str = "") -> None:
        self.protect = list(protect)
        self.private = private
        self.force = force
        self.recognise = recognise
        self.what = what
        self.sqlite = sqlite
        self.suffix = suffix  # ends the temporary file's name (publish: .publishing)
        self.target = self.check(target)
        self.tmp: Path | None = None

    def check(self, target: PathLike | None = None) -> Path:
        return check_target(self.target if target is None else target, protect=self.protect,
                            force=self.force, recognise=self.recognise, what=self.what,
                            sqlite=self.sqlite)

    def create(self) -> Path:
        """Create the temporary file beside the target (exclusively) and return its path."""
        remove_abandoned(self.target)
        self.tmp = _create_temp(self.target, self.private, self.suffix)
        return self.tmp

    def open(self, mode: str = "w", **kwargs: Any) -> IO[Any]:
        """The temporary file, open for writing (``mode`` "w" or "wb")."""
        tmp = self.tmp or self.create()
        fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0))
        return os.fdopen(fd, mode, **kwargs)

    def commit(self) -> Path:
        """Flush the temporary file to disk and rename it over the target."""
        tmp = self.tmp
        if tmp is None:
            raise OutputFileError(f"nothing was written for {self.target}")
        self.check()  # again: something may have appeared there since
        try:
            info = os.lstat(tmp)
            if not stat.S_ISREG(info.st_mode):
                raise OutputFileError(f"the temporary file for {self.target} was replaced; try again")
            fd = os.open(tmp, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            try:
                if self.private:
                    wanted = 0o600
                else:
                    umask = os.umask(0)
                    os.umask(umask)
                    wanted = 0o666 & ~umask
                if hasattr(os, "fchmod"):
                    os.fchmod(fd, wanted)
                else:  # pragma: no cover - Windows before Python 3.13
                    os.chmod(tmp, wanted)
                os.fsync(fd)
            finally:
                os.close(fd)
            if self.sqlite:
                protections = _protections(self.protect)
                for suffix in SQLITE_COMPANIONS:
                    companion = Path(str(self.target) + suffix)
                    if _protected_as(companion, protections) is None:
                        companion.unlink(missing_ok=True)
            os.replace(tmp, self.target)
        except OSError as exc:
            raise _cannot_write(self.target, exc) from None
        self.tmp = None
        _sync_folder(self.target.parent)
        return self.target

    def discard(self) -> None:
        """Remove the temporary file and anything a writer made beside it (a journal)."""
        tmp, self.tmp = self.tmp, None
        if tmp is None:
            return
        try:
            entries = list(os.scandir(tmp.parent))
        except OSError:
            entries = []
        for entry in entries:
            if entry.name.startswith(tmp.name):
                try:
                    os.unlink(entry.path)
                except OSError:
                    pass

    def __enter__(self) -> Path:
        return self.tmp or self.create()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is None:
            try:
                self.commit()
            except BaseException:
                self.discard()
                raise
        else:
            self.discard()


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_output(target: PathLike, content: bytes | str | Callable[[IO[Any]], None], *,
                 protect: Iterable[Protected] = (), private: bool, force: bool = False,
                 recognise: Callable[[Path], bool] | None = None,
                 what: str = "a file this command wrote", binary: bool = False,
                 newline: str | None = None) -> Path:
    """Write ``content`` (bytes, text, or a function given the open file) to ``target``.

    Text is written as UTF-8; a function gets a text file (``newline`` as for
    :func:`open`) unless ``binary``. See the module's docstring for the rules.
    """
    out = OutputFile(target, protect=protect, private=private, force=force,
                     recognise=recognise, what=what)
    out.create()
    try:
        binary = binary or isinstance(content, bytes)
        kwargs: dict[str, Any] = {} if binary else {"encoding": "utf-8", "newline": newline}
        try:
            with out.open("wb" if binary else "w", **kwargs) as f:
                if callable(content):
                    content(f)
                else:
                    f.write(content)
        except OSError as exc:
            raise _cannot_write(out.target, exc) from None
        return out.commit()
    except BaseException:
        out.discard()
        raise


# -- recognising files a command wrote ------------------------------------------------------


def starts_with(*prefixes: bytes) -> Callable[[Path], bool]:
    """A recogniser: the file begins with one of ``prefixes`` (after a UTF-8 BOM)."""
    def recognise(path: Path) -> bool:
        with open(path, "rb") as f:
            head = f.read(max(len(p) for p in prefixes) + 3)
        head = head.removeprefix(b"\xef\xbb\xbf")
        return any(head.startswith(p) for p in prefixes)
    return recognise


def csv_header_in(headers: Iterable[Iterable[str]]) -> Callable[[Path], bool]:
    """A recogniser: the file is CSV whose first line is exactly one of ``headers``."""
    known = {tuple(h) for h in headers}

    def recognise(path: Path) -> bool:
        with open(path, encoding="utf-8-sig", newline="") as f:
            first = next(csv.reader([f.readline(64 * 1024)]), [])
        return tuple(first) in known
    return recognise


def csv_header_starts(*columns: str) -> Callable[[Path], bool]:
    """A recogniser: CSV whose first columns are ``columns`` (a reject file: line, problem)."""
    def recognise(path: Path) -> bool:
        with open(path, encoding="utf-8-sig", newline="") as f:
            first = next(csv.reader([f.readline(64 * 1024)]), [])
        return tuple(first[:len(columns)]) == columns
    return recognise


def sqlite_with_table(table: str, *, without: str | None = None) -> Callable[[Path], bool]:
    """A recogniser: an SQLite database holding ``table`` (and not ``without``)."""
    def recognise(path: Path) -> bool:
        import sqlite3
        from urllib.parse import quote

        with open(path, "rb") as f:
            if f.read(16) != b"SQLite format 3\x00":
                return False
        conn = sqlite3.connect(f"file:{quote(Path(path).resolve().as_posix())}?mode=ro&immutable=1",
                               uri=True)
        try:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
        return table in names and (without is None or without not in names)
    return recognise


# -- CSV for people ----------------------------------------------------------------------------

#: characters that make a spreadsheet treat a cell as a formula (or a DDE command)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")


def for_people(value: Any) -> Any:
    """A cell safe to open in a spreadsheet: text that would start a formula gets a
    leading apostrophe; a plain number such as ``-3`` or ``-0.5`` is kept as it is.

    Text that already starts with apostrophes before such a character gets one more,
    so :func:`from_people` gives back exactly what was written.
    """
    if not isinstance(value, str) or not value:
        return value
    if value.lstrip("'")[:1] in FORMULA_START and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def from_people(value: str) -> str:
    """Undo :func:`for_people` on a cell read from CSV."""
    if value[:1] == "'" and _NEUTRALISED.match(value):
        return value[1:]
    return value


class _ForPeople:
    """A csv writer whose cells pass through :func:`for_people`."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer
        self.dialect = writer.dialect

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([for_people(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer_for_people(f: IO[str], fieldnames: Iterable[str] | None = None,
                          **kwargs: Any) -> Any:
    """The one CSV writer for files people open: :func:`csv.writer` (or a
    :class:`csv.DictWriter` given ``fieldnames``) that neutralises formula cells."""
    if fieldnames is None:
        return _ForPeople(csv.writer(f, **kwargs))
    dict_writer = csv.DictWriter(f, fieldnames=list(fieldnames), **kwargs)
    # typeshed types DictWriter.writer as csv's own writer; any object with its methods works
    dict_writer.writer = _ForPeople(dict_writer.writer)  # type: ignore[assignment]
    return dict_writer


def copy_csv_for_people(source: PathLike, f: IO[str]) -> None:
    """Copy the CSV file ``source`` into ``f`` row by row, neutralising formula cells."""
    with open(source, encoding="utf-8", newline="") as handle:
        csv_writer_for_people(f).writerows(csv.reader(handle))

