"""Step 6, open reporting: write the public database that the dashboard serves.

:func:`publish` copies only what the features register as public (a
table's listed columns, never a private field), creates the registered
views, computed and materialised tables (see :mod:`partnership.publicdata`),
adds what plugins register through the ``register_public_data`` hook, and records the
partnership's title, description and licence in a one-row ``site`` table. The
Datasette metadata beside the file is written by :mod:`partnership.reporting.metadata`;
:mod:`partnership.reporting.serve` serves the result.

Safety, by construction:

* the public tables are copied into a private scratch file in the target's folder and
  reduced there to what may be published (log entries of records that are not public
  become counts, refused links are blanked); one ``VACUUM INTO`` writes them, compact
  and with nothing deleted left in them, into a temporary file beside the target (never
  in WAL), which is then only added to (the findings, the news, the views and the
  materialised tables) and moved into place with :func:`os.replace`, so a reader never
  sees half a database and a failure leaves any old public file as it was; both files
  are readable by their owner only until the public file is complete;
* the working database is attached read-only while the tables are copied and detached
  before any view or plugin SQL runs, so views and plugins can only see public data;
* publishing onto the working database itself (by any name) is refused, and so is
  writing over a file that is not a public partnership database, or a metadata file
  publish did not write, unless ``force`` (see :mod:`partnership.outfiles`).

Datasette is not imported here: publishing needs only SQLite.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .. import outfiles
from ..changelog import publish_changes
from ..errors import NoDatabase, ValidationError
from ..publicdata import PrivateDataGuard, PublicData, PublicQuery, PublishError
from .metadata import LICENCE_NAMES, default_metadata_path, is_generated_metadata, write_metadata
from .truth import write_findings, write_news

if TYPE_CHECKING:
    from ..api import Partnership

#: the table holding the partnership's title, description, licence and source
SITE_TABLE = "site"


@attrs.define(kw_only=True)
class PublishResult:
    """What :func:`publish` wrote: the file, its tables and views, what it skipped."""

    path: str
    metadata_path: str | None
    tables: dict[str, int] = attrs.field(factory=dict)
    views: list[str] = attrs.field(factory=list)
    skipped: dict[str, str] = attrs.field(factory=dict)
    refreshed: bool = False
    #: one line per plugin metric that failed (or whose plugin changed): its last good
    #: values are what was published, marked stale
    metric_problems: list[str] = attrs.field(factory=list)


def _check_target(p: Partnership, target: Path, force: bool = False) -> None:
    if str(p.store.path) == ":memory:":
        raise PublishError("an in-memory partnership cannot be published; save it to a file first")
    # never the working database, never through a link, never over something that is not
    # a public database written by us (unless force): see partnership.outfiles
    outfiles.check_target(target, **_target_rules(p, force))


def _target_rules(p: Partnership, force: bool) -> dict[str, Any]:
    return {"protect": outfiles.protected_paths(p.store.path), "force": force,
            "recognise": is_public_database, "what": "a public partnership database",
            "sqlite": True}


#: a file publish wrote: an SQLite file with the site table and no working tables
is_public_database = outfiles.sqlite_with_table(SITE_TABLE, without="partnership")


def _uri(path: str | os.PathLike[str], mode: str = "rwc") -> str:
    from urllib.parse import quote

    return f"file:{quote(Path(path).resolve().as_posix())}?mode={mode}"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _copy_table(conn: sqlite3.Connection, table: str, allowed: tuple[str, ...],
                published: set[str]) -> int | None:
    info = conn.execute(f"PRAGMA src.table_info({_quote(table)})").fetchall()
    if not info:
        return None
    present = {r[1] for r in info}
    columns = [r for r in info if r[1] in allowed and r[1] in present]
    if not columns:
        return None
    names = [r[1] for r in columns]
    # the key in key order (table_info numbers the key's columns in its pk field, which
    # is not the order of the columns: metric_values is keyed indicator, metric, period),
    # kept when every column of it is published; a WITHOUT ROWID table stays one, so the
    # key is the table and not a second copy of it
    key = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
    pks = key if key and all(k in names for k in key) else []
    # a key that is not one integer column (the rowid itself) is stored as the table, not
    # as a second copy of it beside the rows: WITHOUT ROWID, when no key column holds a null
    integer_key = len(pks) == 1 and any(r[1] == pks[0] and (r[2] or "").upper() == "INTEGER" for r in info)
    without_rowid = bool(pks) and (_without_rowid(conn, table) or (not integer_key and not conn.execute(
        f"SELECT 1 FROM src.{_quote(table)} WHERE "
        + " OR ".join(f"{_quote(k)} IS NULL" for k in pks) + " LIMIT 1").fetchone()))
    fks = {}
    fk_rows = conn.execute(f"PRAGMA src.foreign_key_list({_quote(table)})").fetchall()
    parts = {fk[0] for fk in fk_rows if fk[1] > 0}  # references of more than one column
    for fk in fk_rows:
        # (id, seq, table, from, to, ...): references to published tables
        if fk[3] in names and fk[2] in published:
            fks[fk[3]] = (fk[2], fk[4], fk[0] in parts)
    decls = []
    for r in columns:
        decl = f"{_quote(r[1])} {r[2] or ''}".rstrip()
        if r[1] in fks:
            ref_table, ref_col, _ = fks[r[1]]
            decl += f" REFERENCES {_quote(ref_table)}"
            if ref_col:
                decl += f"({_quote(ref_col)})"
        decls.append(decl)
    if pks:
        decls.append(f"PRIMARY KEY ({', '.join(_quote(k) for k in pks)})")
    cols = ", ".join(_quote(n) for n in names)
    definition = f"{_quote(table)} ({', '.join(decls)})" + (" WITHOUT ROWID" if without_rowid else "")
    conn.execute(f"CREATE TABLE main.{definition}")
    # in key order when the key is the rowid (a table stored by its key is in key order
    # whatever the order of its rows; it is written page-full by VACUUM INTO)
    order = f" ORDER BY {_quote(pks[0])}" if integer_key and not without_rowid else ""
    count = conn.execute(f"INSERT INTO main.{_quote(table)} ({cols}) "
                         f"SELECT {cols} FROM src.{_quote(table)}{order}").rowcount
    # the indexes the public pages need: one per single-column reference (a row page counts
    # the rows that refer to it, and a table page filters by it) and the working
    # database's unique ones over published columns; not its other indexes, which serve
    # its own commands (due dates, capacity sums), nor one that the key or a longer index
    # already is (an index on a leading part of another is that one's)
    indexed: set[tuple[str, ...]] = {tuple(pks[:n]) for n in range(1, len(pks) + 1)}
    wanted: list[tuple[tuple[str, ...], bool]] = []
    for idx in conn.execute(f"PRAGMA src.index_list({_quote(table)})").fetchall():
        idx_name, unique, origin = idx[1], idx[2], idx[3]
        if origin == "pk" or not unique:
            continue
        idx_cols = tuple(r[2] for r in conn.execute(f"PRAGMA src.index_info({_quote(idx_name)})"))
        if idx_cols and all(c in names for c in idx_cols):
            wanted.append((idx_cols, True))
    wanted.extend(((col,), False) for col, (_, _, part) in fks.items() if not part)
    for idx_cols, unique in sorted(wanted, key=lambda w: (not w[1], -len(w[0]))):  # unique, longest first
        if idx_cols in indexed:
            continue
        indexed.update(idx_cols[:n] for n in range(1, len(idx_cols) + 1))
        conn.execute(
            f"CREATE {'UNIQUE ' if unique else ''}INDEX "
            f"main.{_quote('idx_' + table + '_' + '_'.join(idx_cols))} "
            f"ON {_quote(table)} ({', '.join(_quote(c) for c in idx_cols)})")
    return int(count)


def _without_rowid(conn: sqlite3.Connection, table: str) -> bool:
    """Whether the working database's ``table`` is a WITHOUT ROWID table."""
    try:
        row = conn.execute(f"PRAGMA src.table_list({_quote(table)})").fetchone()
        return bool(row and row[4])
    except sqlite3.OperationalError:  # SQLite before 3.37: read the CREATE statement
        import re

        row = conn.execute("SELECT sql FROM src.sqlite_master WHERE type = 'table' AND name = ?",
                           [table]).fetchone()
        sql = (row[0] or "") if row else ""
        return bool(re.search(r"\bWITHOUT\s+ROWID\b", sql[sql.rfind(")"):], re.IGNORECASE))


def _has_index(conn: sqlite3.Connection, table: str, cols: tuple[str, ...]) -> bool:
    """Whether an index of ``table`` (its key included) starts with ``cols``."""
    for idx in conn.execute(f"PRAGMA index_list({_quote(table)})").fetchall():
        idx_cols = tuple(r[2] for r in conn.execute(f"PRAGMA index_info({_quote(idx[1])})"))
        if idx_cols[:len(cols)] == cols:
            return True
    return False


def _try_view(conn: sqlite3.Connection, name: str, sql: str) -> str | None:
    """Create view ``name``; return None, or why it could not be created (and drop it)."""
    conn.execute("SAVEPOINT view")
    try:
        conn.execute(f"CREATE VIEW {_quote(name)} AS {sql.strip().rstrip(';')}")
        conn.execute(f"SELECT * FROM {_quote(name)} LIMIT 0").fetchall()
    except sqlite3.Error as exc:
        conn.execute("ROLLBACK TO view")
        conn.execute("RELEASE view")
        return str(exc)
    conn.execute("RELEASE view")
    return None


def _safe_link(value: str | None) -> str:
    """A stored link as published: one that today's checks refuse (stored by an older,
    more lenient version) is left out rather than put in an ``href``."""
    from ..validators import link_problem

    return value if value and link_problem(value) is None else ""


def _drop_unsafe_links(conn: sqlite3.Connection) -> None:
    """Blank the partners' stored websites that today's link checks refuse."""
    from ..validators import link_problem

    cols = {r[1] for r in conn.execute("PRAGMA main.table_info(partners)")}
    if "website" not in cols:
        return
    bad = [slug for slug, site in conn.execute("SELECT slug, website FROM main.partners")
           if site and link_problem(site) is not None]
    conn.executemany("UPDATE main.partners SET website = '' WHERE slug = ?", [(b,) for b in bad])


def site_info(p: Partnership) -> dict[str, Any]:
    info = p.info()
    governance = getattr(info.governance, "value", info.governance)
    return {
        "title": info.name,
        "description": info.purpose,
        "governance": governance,
        "licence": LICENCE_NAMES.get(info.licence, info.licence),
        "licence_url": _safe_link(info.licence_url),
        "website": _safe_link(info.website),
        "published_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "as_of": p.today().isoformat(),
    }


def publish(p: Partnership, target: str | os.PathLike[str], *, metadata: str | os.PathLike[str] | None = None,
            metadata_out: str | os.PathLike[str] | None | bool = None, refresh: bool = True,
            robots: str | None = None, licence: str | None = None,
            licence_url: str | None = None, force: bool = False) -> PublishResult:
    """Write the public database of ``p`` to ``target`` (and its Datasette metadata).

    ``metadata`` is the base ``datasette-metadata.yml`` (default: generated from the
    descriptions of the features and plugins, as ``partnership metadata`` prints it);
    the generated copy, with the partnership's title, description and licence and only
    the canned queries that run on this database, goes to ``metadata_out`` (default
    ``<target stem>.metadata.yml`` beside the database; ``False`` for none), and with it
    Datasette's inspect data, ``<target stem>.inspect.json`` (:func:`write_inspect`).
    ``robots`` is ``"allow"`` or ``"block"`` (default: as the metadata says).
    An existing target or metadata file that publish did not write is replaced only
    with ``force``; the working database never is.
    """
    target = Path(target)
    _check_target(p, target, force)
    meta_out = None if metadata_out is False else (
        Path(metadata_out) if isinstance(metadata_out, (str, os.PathLike)) and metadata_out
        else default_metadata_path(target))
    if meta_out is not None:
        outfiles.check_target(meta_out, protect=[*outfiles.protected_paths(p.store.path), target],
                              force=force, recognise=is_generated_metadata,
                              what="metadata written by 'partnership publish'")
    # Datasette's inspect data (row counts, size, hash) beside it, unless no metadata either
    inspect_out = meta_out is not None
    if inspect_out:
        outfiles.check_target(inspect_path(target),
                              protect=[*outfiles.protected_paths(p.store.path), target], force=force,
                              recognise=outfiles.starts_with(INSPECT_MARK),
                              what="inspect data written by 'partnership publish'")
    if not p.store.is_initialised():
        raise NoDatabase(f"{p.store.path} holds no partnership yet; create one with 'partnership init NAME'")
    if robots not in (None, "allow", "block"):
        raise ValidationError(f"robots must be 'allow' or 'block' (got '{robots}')")
    _remove_abandoned(target)
    output = outfiles.OutputFile(target, private=False, suffix=".publishing",
                                 **_target_rules(p, force))
    tmp = output.create()
    # the temporary file exists before anything is written to the working database, so a
    # folder that cannot take the public file (even one that claims to be writable) is
    # refused with the working database untouched. It is readable by its owner only until
    # it is complete (committing it gives it the public file's permissions). The public
    # tables are copied into a scratch file beside it first (see _copy_public)
    stage = outfiles.OutputFile(target, private=True, suffix=".stage.publishing", **_target_rules(p, force))
    result = PublishResult(path=str(target), metadata_path=None)
    try:
        os.chmod(tmp, 0o600)
        staging = stage.create()
        # refreshed if out of date; failed plugin metrics keep their last good values (stale)
        from ..metrics import for_publishing

        result.metric_problems = for_publishing(p, refresh=refresh)
        result.refreshed = refresh
        public = p.registry.public
        # what plugin data may not hold: private field names and the record's private values
        from ..plugins import is_builtin

        guard = (PrivateDataGuard.read(p.store.conn, p.registry.models)
                 if any(not is_builtin(d.plugin) for d in public) else None)
        info = site_info(p)
        if licence:
            info["licence"] = licence
        if licence_url is not None:
            info["licence_url"] = licence_url
        conn = sqlite3.connect(_uri(staging), uri=True, isolation_level=None)
        try:
            _copy_public(p, conn, public, result)
            # written compact into the public file, which from here on is only added to
            _compact_into(conn, tmp)
        finally:
            conn.close()
        stage.discard()
        conn = sqlite3.connect(_uri(tmp), uri=True, isolation_level=None)
        try:
            _complete(p, conn, public, info, result, guard)
        finally:
            conn.close()
        _check_built(tmp)
        if meta_out is not None:
            write_metadata(tmp, meta_out, info, database=target.stem, base=metadata, robots=robots,
                           force=force, protect=[*outfiles.protected_paths(p.store.path), target],
                           registry=p.registry)
            result.metadata_path = str(meta_out)
        if inspect_out:
            write_inspect(tmp, target, result, info["published_at"], force=force,
                          protect=[*outfiles.protected_paths(p.store.path), target])
        output.commit()
    except BaseException:
        stage.discard()
        output.discard()
        raise
    return result


def _copy_public(p: Partnership, conn: sqlite3.Connection, public: list[PublicData | PublicQuery],
                 result: PublishResult) -> None:
    """Copy the public tables into the scratch database on ``conn``, and reduce them to what
    may be published (log entries of records that are not public, refused links)."""
    # a scratch file, thrown away on any failure: no journal on disk, no syncs
    conn.execute("PRAGMA journal_mode = MEMORY")
    conn.execute("PRAGMA synchronous = OFF")
    # the working database, read-only
    conn.execute("ATTACH DATABASE ? AS src", [_uri(p.store.path, "ro")])
    conn.execute("BEGIN")
    copies = [d for d in public if isinstance(d, PublicData) and d.copy is not None]
    source_tables = {r[0] for r in conn.execute(
        "SELECT name FROM src.sqlite_master WHERE type = 'table'")}
    published = {d.name for d in copies if d.name in source_tables}
    for item in copies:
        if item.name not in source_tables:
            result.skipped[item.name] = "not in the working file"
            continue
        count = _copy_table(conn, item.name, tuple(item.copy or ()), published)
        if count is None:
            result.skipped[item.name] = "no publishable columns"
        else:
            result.tables[item.name] = count
    if "changes" in result.tables:
        # entities that are not public: counts only, even in logs written with keys
        publish_changes(conn, p.registry.hidden_labels(), "src")
        result.tables["changes"] = conn.execute("SELECT count(*) FROM main.changes").fetchone()[0]
    conn.execute("COMMIT")
    _drop_unsafe_links(conn)
    conn.execute("DETACH DATABASE src")


def _complete(p: Partnership, conn: sqlite3.Connection, public: list[PublicData | PublicQuery],
              info: dict[str, Any], result: PublishResult, guard: PrivateDataGuard | None) -> None:
    """Add to the public file on ``conn`` (its copied tables written) what is computed:
    the findings, the news, the site row, the views and the materialised tables."""
    # a file thrown away on any failure: its journal in memory (a savepoint can still be
    # rolled back), no syncs until it is complete (outfiles syncs it before the rename)
    conn.execute("PRAGMA journal_mode = MEMORY")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA temp_store = MEMORY")
    # what the public page must not leave out: the checks' findings and the latest changes
    # in words, read while the working file is attached, read-only (reporting/truth.py)
    conn.execute("ATTACH DATABASE ? AS src", [_uri(p.store.path, "ro")])
    conn.execute("BEGIN")
    write_findings(p, conn)
    write_news(conn)
    conn.execute("COMMIT")
    conn.execute("DETACH DATABASE src")
    # from here on only the public data is reachable
    conn.execute("BEGIN")
    _write_site(conn, info)
    result.tables[SITE_TABLE] = 1
    _index_series(conn)
    _create_derived(conn, [d for d in public if isinstance(d, PublicData) and d.copy is None],
                    result, guard)
    conn.execute("COMMIT")
    # the query planner's statistics, from a sample of each index (a full ANALYZE reads
    # every row of every index, as long as copying them)
    conn.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
    conn.execute("ANALYZE")


def _compact_into(conn: sqlite3.Connection, tmp: Path) -> None:
    """Write the database on ``conn`` into the (empty) file ``tmp`` with ``VACUUM INTO``:
    one sequential copy with every page full (tables stored by their key, filled row by
    row, fill about 87% of their pages) and nothing deleted left in it."""
    conn.execute("VACUUM INTO ?", [str(tmp)])


#: rows of each index ANALYZE reads (``PRAGMA analysis_limit``)
ANALYSIS_LIMIT = 1000


def _check_built(tmp: Path) -> None:
    """The built file, opened afresh, is in the rollback-journal mode Datasette's immutable
    mode expects (never WAL)."""
    check = sqlite3.connect(_uri(tmp, "ro"), uri=True)
    try:
        mode = check.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        check.close()
    assert mode == "delete", mode


def inspect_path(target: str | os.PathLike[str]) -> Path:
    """Where publish writes Datasette's inspect data: ``public.db`` -> ``public.inspect.json``."""
    target = Path(target)
    return target.with_name(target.stem + ".inspect.json")


#: the first bytes of an inspect file publish wrote (how it is recognised to be replaced)
INSPECT_MARK = b'{"partnership-inspect": 1,'


def write_inspect(tmp: Path, target: Path, result: PublishResult, published_at: str, *,
                  force: bool, protect: list[Any]) -> Path:
    """Write ``<stem>.inspect.json`` beside the public database: Datasette's inspect data
    (``datasette --inspect-file``), so the served site never counts rows or hashes the
    file at request time: every table's row count, the file's size and SHA-256, and when
    it was published (a file from another publish is ignored by ``partnership serve``)."""
    import hashlib
    import json

    digest = hashlib.sha256()
    with open(tmp, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    conn = sqlite3.connect(_uri(tmp, "ro"), uri=True)
    try:
        counts = {}
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            counts[name] = result.tables[name] if name in result.tables else int(
                conn.execute(f"SELECT count(*) FROM {_quote(name)}").fetchone()[0])
    finally:
        conn.close()
    entry = {"hash": digest.hexdigest(), "size": tmp.stat().st_size, "file": target.name,
             "published_at": published_at,
             "tables": {name: {"count": n} for name, n in counts.items()}}
    text = (INSPECT_MARK.decode() + " " + json.dumps({target.stem: entry}, indent=1)[1:]) + "\n"
    path = inspect_path(target)
    outfiles.write_output(path, text, protect=protect, private=False, force=force,
                          recognise=outfiles.starts_with(INSPECT_MARK),
                          what="inspect data written by 'partnership publish'")
    return path


def read_inspect(public_db: str | os.PathLike[str], served_as: str) -> dict[str, Any] | None:
    """The inspect data beside ``public_db`` for Datasette, under the name it is served as;
    None when there is none, or it is not of this file's publish (its size or time differ)."""
    import json

    public_db = Path(public_db)
    try:
        data = json.loads(inspect_path(public_db).read_text(encoding="utf-8"))
        entry = data[public_db.stem]
        conn = sqlite3.connect(_uri(public_db, "ro") + "&immutable=1", uri=True)
        try:
            published = conn.execute(f"SELECT published_at FROM {SITE_TABLE}").fetchone()[0]
        finally:
            conn.close()
    except (OSError, ValueError, KeyError, TypeError, sqlite3.Error):
        return None
    if entry.get("published_at") != published or entry.get("size") != public_db.stat().st_size:
        return None
    return {served_as: entry}


def _remove_abandoned(target: Path) -> None:
    """Delete half-written public files left by a publish that was killed.

    Each temporary file carries the process id of its writer; one whose process is
    gone can never be finished, so it is removed (a running publish is left alone).
    """
    import glob

    prefix = f".{target.name}."
    for leftover in target.parent.glob(glob.escape(prefix) + "*.publishing"):
        pid = leftover.name[len(prefix):].split(".", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            for suffix in ("", "-journal"):
                Path(str(leftover) + suffix).unlink(missing_ok=True)
        except (OverflowError, OSError):  # not ours to judge (another user's process)
            continue


def _write_site(conn: sqlite3.Connection, info: dict[str, Any]) -> None:
    cols = list(info)
    conn.execute(f"CREATE TABLE {SITE_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), "
                 + ", ".join(f"{_quote(c)} TEXT" for c in cols) + ")")
    conn.execute(f"INSERT INTO {SITE_TABLE} (id, {', '.join(_quote(c) for c in cols)}) "
                 f"VALUES (1, {', '.join('?' for _ in cols)})", [info[c] for c in cols])


def _create_derived(conn: sqlite3.Connection, derived: list[PublicData], result: PublishResult,
                    guard: PrivateDataGuard | None) -> None:
    """Views and computed tables, in registration order, over the public tables only.

    A built-in view that does not run is a bug and stops the publish; so does a plugin's,
    naming the plugin. A plugin's data is checked against the private fields and values
    (``guard``)."""
    from ..plugins import is_builtin

    existing = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    for item in derived:
        if item.name in existing:
            raise PublishError(
                f"plugin '{item.plugin}' registered public data '{item.name}', a name that is "
                f"already taken; rename it")
        if item.rows is not None:
            rows = list(item.rows)
            cols: list[str] = []
            for row in rows:
                cols.extend(k for k in row if k not in cols)
            if not cols:
                result.skipped[item.name] = "no rows"
                continue
            conn.execute(f"CREATE TABLE {_quote(item.name)} ({', '.join(_quote(c) for c in cols)})")
            conn.executemany(
                f"INSERT INTO {_quote(item.name)} VALUES ({', '.join('?' for _ in cols)})",
                [[row.get(c) for c in cols] for row in rows])
            result.tables[item.name] = len(rows)
        elif item.kind == "table" or item.materialise:
            try:
                conn.execute(f"CREATE TABLE {_quote(item.name)} AS {item.sql}")
            except sqlite3.Error as exc:
                raise PublishError(
                    f"plugin '{item.plugin}' public table '{item.name}' failed: {exc}; its SQL "
                    f"may only read public tables") from None
            for col in item.index:
                conn.execute(f"CREATE INDEX {_quote('idx_' + item.name + '_' + col)} "
                             f"ON {_quote(item.name)} ({_quote(col)})")
            result.tables[item.name] = conn.execute(
                f"SELECT count(*) FROM {_quote(item.name)}").fetchone()[0]
            if item.materialise:
                result.views.append(item.name)
        else:
            why = _try_view(conn, item.name, item.sql or "")
            if why:
                raise PublishError(
                    f"plugin '{item.plugin}' public view '{item.name}' failed: {why}; its SQL "
                    f"may only read public tables")
            result.views.append(item.name)
        why = (guard.problem(conn, item.name, item.sql)
               if guard is not None and not is_builtin(item.plugin) else None)
        if why:
            raise PublishError(f"plugin '{item.plugin}' public data '{item.name}' {why}; "
                               f"nothing was published")
        existing.add(item.name)


def _index_series(conn: sqlite3.Connection) -> None:
    """An index for the charts: observations by indicator and date (unless the key, or
    another index, already is one)."""
    cols = {r[1] for r in conn.execute("PRAGMA table_info(observations)")}
    if {"indicator", "date"} <= cols and not _has_index(conn, "observations", ("indicator", "date")):
        conn.execute("CREATE INDEX IF NOT EXISTS idx_observations_chart "
                     "ON observations (indicator, date)")

