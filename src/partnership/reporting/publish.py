"""Step 6, open reporting: write the public database that the dashboard serves.

:func:`publish` copies only what the features register as public (a
table's listed columns, never a private field), creates the registered
views, computed and materialised tables (see :mod:`partnership.publicdata`),
adds what plugins register through the ``register_public_data`` hook, and records the
partnership's title, description and licence in a one-row ``site`` table.

Safety, by construction:

* the file is built as a temporary file in the target's folder, taken out of WAL,
  vacuumed and moved into place with :func:`os.replace`, so a reader never sees half a
  database and a failure leaves any old public file as it was;
* the working database is attached read-only while the tables are copied and detached
  before any view or plugin SQL runs, so views and plugins can only see public data;
* publishing onto the working database itself, or over a file that is not a public
  partnership database, is refused.

Datasette is not imported here: publishing needs only SQLite.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import NoDatabase, ValidationError
from ..publicdata import PublicData, PublishError

if TYPE_CHECKING:
    from ..registry import Registry

#: the table holding the partnership's title, description, licence and source
SITE_TABLE = "site"
#: datasette-metadata.yml shipped with the package (the top-level file of the project)
METADATA_FILE = Path(__file__).parent.parent / "datasette-metadata.yml"


@attrs.define(kw_only=True)
class PublishResult:
    """What :func:`publish` wrote: the file, its tables and views, what it skipped."""

    path: str
    metadata_path: str | None
    tables: dict[str, int] = attrs.field(factory=dict)
    views: list[str] = attrs.field(factory=list)
    skipped: dict[str, str] = attrs.field(factory=dict)
    refreshed: bool = False


# -- the public database -----------------------------------------------------------


def default_metadata_path(target: str | os.PathLike[str]) -> Path:
    """Where the generated metadata goes: ``public.db`` -> ``public.metadata.yml``."""
    target = Path(target)
    return target.with_name(target.stem + ".metadata.yml")


def _check_target(p: Any, target: Path) -> None:
    working = Path(p.store.path)
    if str(p.store.path) == ":memory:":
        raise PublishError("an in-memory partnership cannot be published; save it to a file first")
    if target.is_dir():
        raise PublishError(f"{target} is a folder; give the path of the public .db file to write")
    same = os.path.realpath(target) == os.path.realpath(working)
    if not same and target.exists():
        try:
            same = os.path.samefile(target, working)
        except OSError:
            same = False
    if same or os.path.realpath(target) in {
            os.path.realpath(str(working) + s) for s in ("-wal", "-shm", "-journal")}:
        raise PublishError(
            f"{target} is the working database; publish to another file, like public.db")
    folder = target.parent
    if not folder.exists():
        raise PublishError(f"cannot publish to {target}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PublishError(
            f"cannot publish to {target}: the folder {folder} is not writable; choose another folder")
    if target.exists() and target.stat().st_size > 0:
        # never overwrite something that is not a public database written by us
        try:
            conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
            try:
                names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            finally:
                conn.close()
        except sqlite3.DatabaseError:
            names = set()
        if SITE_TABLE not in names or "partnership" in names:
            raise PublishError(
                f"{target} exists and is not a public partnership database; refusing to "
                f"overwrite it: choose a new file name")


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
    pks = [r[1] for r in sorted(columns, key=lambda r: r[5]) if r[5]]
    all_pks = [r[1] for r in info if r[5]]
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
    if pks and pks == all_pks:
        decls.append(f"PRIMARY KEY ({', '.join(_quote(k) for k in pks)})")
    cols = ", ".join(_quote(n) for n in names)
    conn.execute(f"CREATE TABLE main.{_quote(table)} ({', '.join(decls)})")
    conn.execute(f"INSERT INTO main.{_quote(table)} ({cols}) SELECT {cols} FROM src.{_quote(table)}")
    # the working database's indexes over published columns, and one per reference
    indexed: set[tuple[str, ...]] = set()
    for idx in conn.execute(f"PRAGMA src.index_list({_quote(table)})").fetchall():
        idx_name, unique, origin = idx[1], idx[2], idx[3]
        if origin == "pk":
            continue
        idx_cols = tuple(r[2] for r in conn.execute(f"PRAGMA src.index_info({_quote(idx_name)})"))
        if idx_cols and all(c in names for c in idx_cols) and idx_cols not in indexed:
            indexed.add(idx_cols)
            conn.execute(
                f"CREATE {'UNIQUE ' if unique else ''}INDEX main.{_quote('idx_' + table + '_' + '_'.join(idx_cols))} "
                f"ON {_quote(table)} ({', '.join(_quote(c) for c in idx_cols)})")
    for col in fks:
        if (col,) not in indexed and not (pks and pks[0] == col):
            indexed.add((col,))
            conn.execute(f"CREATE INDEX main.{_quote('idx_' + table + '_' + col)} "
                         f"ON {_quote(table)} ({_quote(col)})")
    return conn.execute(f"SELECT count(*) FROM main.{_quote(table)}").fetchone()[0]


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


LICENCE_NAMES = {"OGL-UK-3.0": "Open Government Licence v3.0"}


def site_info(p: Any) -> dict[str, Any]:
    info = p.info()
    governance = getattr(info.governance, "value", info.governance)
    return {
        "title": info.name,
        "description": info.purpose,
        "governance": governance,
        "licence": LICENCE_NAMES.get(info.licence, info.licence),
        "licence_url": info.licence_url,
        "website": info.website,
        "published_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "as_of": p.today().isoformat(),
    }


def publish(p: Any, target: str | os.PathLike[str], *, metadata: str | os.PathLike[str] | None = None,
            metadata_out: str | os.PathLike[str] | None | bool = None, refresh: bool = True,
            robots: str | None = None, licence: str | None = None,
            licence_url: str | None = None) -> PublishResult:
    """Write the public database of ``p`` to ``target`` (and its Datasette metadata).

    ``metadata`` is the base ``datasette-metadata.yml`` (default: the packaged one);
    the generated copy, with the partnership's title, description and licence and only
    the canned queries that run on this database, goes to ``metadata_out`` (default
    ``<target stem>.metadata.yml`` beside the database; ``False`` for none).
    ``robots`` is ``"allow"`` or ``"block"`` (default: as the metadata says).
    """
    target = Path(target)
    _check_target(p, target)
    if not p.store.is_initialised():
        raise NoDatabase(f"{p.store.path} holds no partnership yet; create one with 'partnership init NAME'")
    if robots not in (None, "allow", "block"):
        raise ValidationError(f"robots must be 'allow' or 'block' (got '{robots}')")
    _remove_abandoned(target)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".publishing",
                                        dir=target.parent)
    except OSError as exc:
        raise PublishError(
            f"cannot publish to {target}: the folder {target.parent} is not writable "
            f"({exc.strerror}); choose another folder") from None
    os.close(fd)
    tmp = Path(tmp_name)
    # the temporary file exists before anything is written to the working database, so a
    # folder that cannot take the public file (even one that claims to be writable) is
    # refused with the working database untouched
    result = PublishResult(path=str(target), metadata_path=None)
    try:
        if refresh:
            p.measure.refresh()
            result.refreshed = True
        public = p.registry.public
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
            conn.execute("COMMIT")
            conn.execute("DETACH DATABASE src")
            # from here on only the public data is reachable
            conn.execute("BEGIN")
            _write_site(conn, info)
            result.tables[SITE_TABLE] = 1
            _index_series(conn)
            _create_derived(conn, [d for d in public if isinstance(d, PublicData) and d.copy is None],
                            result)
            conn.execute("COMMIT")
            conn.execute("ANALYZE")
            conn.execute("VACUUM")
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            assert mode == "delete", mode
        finally:
            conn.close()
        if metadata_out is not False:
            out = Path(metadata_out) if metadata_out else default_metadata_path(target)
            write_metadata(tmp, out, info, database=target.stem, base=metadata, robots=robots,
                           registry=p.registry)
            result.metadata_path = str(out)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        for suffix in ("-wal", "-shm", "-journal"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        os.replace(tmp, target)
    except BaseException:
        for suffix in ("", "-journal"):
            Path(str(tmp) + suffix).unlink(missing_ok=True)
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


def _create_derived(conn: sqlite3.Connection, derived: list[PublicData], result: PublishResult) -> None:
    """Views and computed tables, in registration order, over the public tables only.

    A built-in view that does not run is a bug and stops the publish; so does a plugin's,
    naming the plugin."""
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
        existing.add(item.name)


def _index_series(conn: sqlite3.Connection) -> None:
    """An index for the charts: observations by indicator and date."""
    cols = {r[1] for r in conn.execute("PRAGMA table_info(observations)")}
    if {"indicator", "date"} <= cols:
        conn.execute("CREATE INDEX IF NOT EXISTS idx_observations_chart "
                     "ON observations (indicator, date)")


# -- metadata -----------------------------------------------------------------------------


def load_metadata(base: str | os.PathLike[str] | None = None,
                  registry: Registry | None = None) -> dict[str, Any]:
    """The base metadata: the file ``base``, or else the one generated from the
    descriptions of the features and plugins in ``registry``."""
    import yaml

    if not base:
        from ..plugins import default_registry
        from .metadata import base_metadata

        return base_metadata(registry or default_registry())
    path = Path(base)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise PublishError(f"metadata file {path} does not exist; check --metadata") from None
    except yaml.YAMLError as exc:
        raise PublishError(f"metadata file {path} is not valid YAML ({exc}); fix it") from None
    if not isinstance(data, dict):
        raise PublishError(f"metadata file {path} must hold a mapping of keys; fix it")
    return data


def build_metadata(db_path: str | os.PathLike[str], info: dict[str, Any], *, database: str,
                   base: str | os.PathLike[str] | None = None,
                   robots: str | None = None, registry: Registry | None = None) -> dict[str, Any]:
    """The metadata for one published file: the base file, filled in and checked.

    Descriptive keys get the partnership's own title, description and licence; the
    database block is renamed to ``database``; canned queries whose SQL does not run on
    this database, and table descriptions of absent tables, are left out.
    """
    meta = load_metadata(base, registry)
    meta["title"] = info["title"]
    if info.get("description"):
        meta["description"] = info["description"]
    meta["license"] = info.get("licence") or meta.get("license", "")
    if info.get("licence_url"):
        meta["license_url"] = info["licence_url"]
    elif info.get("licence") != LICENCE_NAMES["OGL-UK-3.0"]:
        meta.pop("license_url", None)
    if info.get("website"):
        meta["source"] = info["title"]
        meta["source_url"] = info["website"]
    dbs = meta.get("databases") or {}
    block = dict(next(iter(dbs.values()), {})) if dbs else {}
    conn = sqlite3.connect(_uri(db_path, "ro"), uri=True)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        tables = {k: v for k, v in (block.get("tables") or {}).items() if k in names}
        queries = {}
        for qname, q in (block.get("queries") or {}).items():
            sql = q.get("sql", "") if isinstance(q, dict) else str(q)
            try:
                conn.execute("EXPLAIN " + sql, {k: "" for k in _params(sql)})
            except sqlite3.Error:
                continue
            queries[qname] = q
    finally:
        conn.close()
    block["tables"] = tables
    block["queries"] = queries
    meta["databases"] = {database: block}
    plugins = meta.setdefault("plugins", {})
    if robots is not None:
        plugins["datasette-block-robots"] = (
            {"disallow": ["/"]} if robots == "block" else {"literal": "User-agent: *\nAllow: /"})
    return meta


def _params(sql: str) -> list[str]:
    import re

    return re.findall(r"(?<!:):([a-zA-Z_][a-zA-Z0-9_]*)", sql)


def write_metadata(db_path: str | os.PathLike[str], out: str | os.PathLike[str],
                   info: dict[str, Any], *, database: str,
                   base: str | os.PathLike[str] | None = None, robots: str | None = None,
                   registry: Registry | None = None) -> Path:
    import yaml

    meta = build_metadata(db_path, info, database=database, base=base, robots=robots,
                          registry=registry)
    out = Path(out)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("# Generated by 'partnership publish' from datasette-metadata.yml; do not edit.\n")
        yaml.safe_dump(meta, f, sort_keys=False, allow_unicode=True, width=100)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, out)
    return out


# -- serving -------------------------------------------------------------------------------

PACKAGE_DIR = Path(__file__).parent
TEMPLATE_DIR = PACKAGE_DIR / "templates"
DATASETTE_PLUGINS_DIR = PACKAGE_DIR / "datasette_plugins"


def datasette_settings(metadata: dict[str, Any]) -> dict[str, Any]:
    """The ``settings`` block of the metadata (configuration, not description)."""
    settings = metadata.get("settings") or {}
    return dict(settings) if isinstance(settings, dict) else {}


def make_datasette(public_db: str | os.PathLike[str], metadata_path: str | os.PathLike[str] | None = None) -> Any:
    """A Datasette instance serving only ``public_db``, immutable, with the dashboard.

    The working database is never given to it, so nothing private can be reached,
    even through arbitrary SQL.
    """
    import yaml
    from datasette.app import Datasette

    public_db = Path(public_db)
    metadata_path = Path(metadata_path) if metadata_path else default_metadata_path(public_db)
    try:
        metadata = yaml.safe_load(metadata_path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise PublishError(
            f"no metadata file {metadata_path} beside the public database; run "
            f"'partnership publish {public_db}' again") from None
    settings = datasette_settings(metadata)
    metadata = {k: v for k, v in metadata.items() if k != "settings"}
    # served under the name 'public' whatever the file is called (demo.public.db would
    # otherwise give addresses like /demo~2Epublic/...), with its metadata renamed to match
    databases = metadata.get("databases") or {}
    if len(databases) == 1:
        metadata["databases"] = {SERVED_NAME: next(iter(databases.values()))}
    _register_datasette_plugins()
    from datasette.database import Database

    ds = Datasette(
        files=[],
        metadata=metadata,
        settings=settings,
        template_dir=str(TEMPLATE_DIR),
        plugins_dir=str(DATASETTE_PLUGINS_DIR),
        cors=False,
    )
    # with no files Datasette adds an in-memory database: nothing but the public file is served
    if "_memory" in ds.databases:
        ds.remove_database("_memory")
    ds.add_database(Database(ds, path=str(public_db), is_mutable=False), name=SERVED_NAME)
    return ds


#: the name the public database is served under by ``partnership serve``
SERVED_NAME = "public"


#: Datasette plugins the site depends on (also loaded when Datasette skips entry points)
DATASETTE_PLUGINS = ("datasette_atom", "datasette_block_robots")


def _register_datasette_plugins() -> None:
    import importlib

    from datasette.plugins import pm

    for name in DATASETTE_PLUGINS:
        module = importlib.import_module(name)
        if not pm.is_registered(module):
            pm.register(module, name=name.replace("_", "-") + "-partnership")


def check_port_free(host: str, port: int) -> None:
    """Refuse, in one line, a port another program already listens on."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise PublishError(f"cannot serve on {host}: no such host; try --host 127.0.0.1") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(address)
        except PermissionError:
            raise PublishError(
                f"not allowed to serve on port {port}; choose a port above 1023 with --port") from None
        except OSError:
            raise PublishError(
                f"port {port} on {host} is already in use; stop the other server or choose "
                f"another with --port") from None


def serve(public_db: str | os.PathLike[str], *, host: str = "127.0.0.1", port: int = 8001,
          metadata_path: str | os.PathLike[str] | None = None) -> None:  # pragma: no cover - blocks
    """Serve the public database with Datasette until interrupted."""
    import uvicorn

    check_port_free(host, port)
    ds = make_datasette(public_db, metadata_path)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
