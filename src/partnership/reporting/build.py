"""Step 6, open reporting: write the public database that the dashboard serves.

:func:`publish` copies only what the features register as public (a
table's listed columns, never a private field), creates the registered
views, computed and materialised tables (see :mod:`partnership.publicdata`),
adds what plugins register through the ``register_public_data`` hook, and records the
partnership's title, description and licence in a one-row ``site`` table. The
Datasette metadata beside the file is written by :mod:`partnership.reporting.metadata`;
:mod:`partnership.reporting.serve` serves the result.

Safety, by construction:

* the file is built as a temporary file in the target's folder, taken out of WAL,
  vacuumed and moved into place with :func:`os.replace`, so a reader never sees half a
  database and a failure leaves any old public file as it was;
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
from ..publicdata import PrivateDataGuard, PublicData, PublishError
from .metadata import LICENCE_NAMES, default_metadata_path, is_generated_metadata, write_metadata

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
    without_rowid = bool(pks) and _without_rowid(conn, table)
    fks = {}
    for fk in conn.execute(f"PRAGMA src.foreign_key_list({_quote(table)})").fetchall():
        # (id, seq, table, from, to, ...): single-column references to published tables
        if fk[3] in names and fk[2] in published:
            fks[fk[3]] = (fk[2], fk[4])
    decls = []
    for r in columns:
        decl = f"{_quote(r[1])} {r[2] or ''}".rstrip()
        if r[1] in fks:
            ref_table, ref_col = fks[r[1]]
            decl += f" REFERENCES {_quote(ref_table)}"
            if ref_col:
                decl += f"({_quote(ref_col)})"
        decls.append(decl)
    if pks:
        decls.append(f"PRIMARY KEY ({', '.join(_quote(k) for k in pks)})")
    cols = ", ".join(_quote(n) for n in names)
    conn.execute(f"CREATE TABLE main.{_quote(table)} ({', '.join(decls)})"
                 + (" WITHOUT ROWID" if without_rowid else ""))
    conn.execute(f"INSERT INTO main.{_quote(table)} ({cols}) SELECT {cols} FROM src.{_quote(table)}")
    # the working database's indexes over published columns, and one per reference; none
    # that the key already is (an index on a leading part of the key is the key's)
    indexed: set[tuple[str, ...]] = {tuple(pks[:n]) for n in range(1, len(pks) + 1)}
    for idx in conn.execute(f"PRAGMA src.index_list({_quote(table)})").fetchall():
        idx_name, unique, origin = idx[1], idx[2], idx[3]
        if origin == "pk":
            continue
        idx_cols = tuple(r[2] for r in conn.execute(f"PRAGMA src.index_info({_quote(idx_name)})"))
        if idx_cols and all(c in names for c in idx_cols) and idx_cols not in indexed:
            indexed.add(idx_cols)
            conn.execute(
                f"CREATE {'UNIQUE ' if unique else ''}INDEX "
                f"main.{_quote('idx_' + table + '_' + '_'.join(idx_cols))} "
                f"ON {_quote(table)} ({', '.join(_quote(c) for c in idx_cols)})")
    for col in fks:
        if (col,) not in indexed and not (pks and pks[0] == col):
            indexed.add((col,))
            conn.execute(f"CREATE INDEX main.{_quote('idx_' + table + '_' + col)} "
                         f"ON {_quote(table)} ({_quote(col)})")
    return int(conn.execute(f"SELECT count(*) FROM main.{_quote(table)}").fetchone()[0])


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
    ``<target stem>.metadata.yml`` beside the database; ``False`` for none).
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
    # refused with the working database untouched
    result = PublishResult(path=str(target), metadata_path=None)
    try:
        if refresh:
            p.measure.refresh()
            result.refreshed = True
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
        conn = sqlite3.connect(_uri(tmp), uri=True, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = DELETE")
            # the working database, read-only, only while the public tables are copied
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
            # from here on only the public data is reachable
            conn.execute("BEGIN")
            _write_site(conn, info)
            result.tables[SITE_TABLE] = 1
            _index_series(conn)
            _create_derived(conn, [d for d in public if isinstance(d, PublicData) and d.copy is None],
                            result, guard)
            conn.execute("COMMIT")
            conn.execute("ANALYZE")
            conn.execute("VACUUM")
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            assert mode == "delete", mode
        finally:
            conn.close()
        if meta_out is not None:
            write_metadata(tmp, meta_out, info, database=target.stem, base=metadata, robots=robots,
                           force=force, protect=[*outfiles.protected_paths(p.store.path), target],
                           registry=p.registry)
            result.metadata_path = str(meta_out)
        output.commit()
    except BaseException:
        output.discard()
        raise
    return result


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

