"""Step 6, open reporting: write the public database that the dashboard serves.

:func:`publish` copies only what :func:`partnership.public.public_tables` allows (a
table's listed columns, never a private field), creates the registered
:data:`~partnership.public.PUBLIC_VIEWS` and the dashboard's own cross-feature views,
adds what plugins register through the ``register_public_data`` hook, and records the
partnership's title, description and licence in a one-row ``site`` table.

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
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import attrs

from . import outfiles
from .errors import NoDatabase, PartnershipError, ValidationError

#: the table holding the partnership's title, description, licence and source
SITE_TABLE = "site"
#: datasette-metadata.yml shipped with the package (the top-level file of the project)
METADATA_FILE = Path(__file__).with_name("datasette-metadata.yml")


class PublishError(PartnershipError):
    """The public database could not be written where it was asked for."""


@attrs.define(kw_only=True, frozen=True)
class PublicData:
    """A table or view a plugin adds to the public database (``register_public_data``).

    ``sql`` is a SELECT run against the *public* database (never the working one):
    ``kind="view"`` creates a view, ``kind="table"`` stores the result as a table.
    Alternatively ``rows`` (an iterable of dicts) fills a table computed in Python.
    """

    name: str
    sql: str | None = None
    kind: str = "view"
    rows: Iterable[dict[str, Any]] | None = None
    description: str = ""
    plugin: str = ""


@attrs.define(kw_only=True)
class PublishResult:
    """What :func:`publish` wrote: the file, its tables and views, what it skipped."""

    path: str
    metadata_path: str | None
    tables: dict[str, int] = attrs.field(factory=dict)
    views: list[str] = attrs.field(factory=list)
    skipped: dict[str, str] = attrs.field(factory=dict)
    refreshed: bool = False


# -- the dashboard's own views ---------------------------------------------------------
#
# Each view has candidates, tried in order against the public database; the first whose
# SQL runs is kept. The last candidate of each only needs the core tables, so every view
# always exists with the same columns and the canned queries and home page that read it
# work whatever features have landed. Names of feature tables follow the issues
# (indicators, observations, metric_values, gaps, verdicts, ledger, updates).

CROSS_VIEWS: dict[str, list[str]] = {
    # who does what: partner x outcome, with stakes and contributions
    "who_does_what": [
        """
        SELECT pa.slug AS partner, pa.name AS partner_name, o.slug AS outcome,
               o.title AS outcome_title, o.status AS outcome_status,
               s.motivation AS motivation,
               count(c.id) AS contributions,
               coalesce(sum(c.additional), 0) AS additional,
               group_concat(c.kind || ': ' || c.description, '; ') AS brings
        FROM stakes s
        JOIN partners pa ON pa.slug = s.partner
        JOIN outcomes o ON o.slug = s.outcome
        LEFT JOIN contributions c ON c.outcome = s.outcome AND c.partner = s.partner
        GROUP BY s.outcome, s.partner
        UNION ALL
        SELECT pa.slug, pa.name, o.slug, o.title, o.status, NULL,
               count(c.id), coalesce(sum(c.additional), 0),
               group_concat(c.kind || ': ' || c.description, '; ')
        FROM contributions c
        JOIN partners pa ON pa.slug = c.partner
        JOIN outcomes o ON o.slug = c.outcome
        WHERE NOT EXISTS (SELECT 1 FROM stakes s WHERE s.outcome = c.outcome
                          AND s.partner = c.partner)
        GROUP BY c.outcome, c.partner
        """,
    ],
    # is it working: outcome x indicator, latest figure and status
    "is_it_working": [
        """
        SELECT o.slug AS outcome, o.title AS outcome_title, o.status AS outcome_status,
               i.slug AS indicator, i.title AS indicator_title, i.unit AS unit,
               i.direction AS direction,
               i.baseline AS baseline, i.target AS target, i.target_date AS target_date,
               (SELECT ob.value FROM observations ob WHERE ob.indicator = i.slug
                ORDER BY ob.date DESC LIMIT 1) AS latest,
               (SELECT ob.date FROM observations ob WHERE ob.indicator = i.slug
                ORDER BY ob.date DESC LIMIT 1) AS latest_date,
               (SELECT mv.value FROM metric_values mv WHERE mv.indicator = i.slug
                AND mv.metric IN ('status', 'trajectory-status', 'trajectory_status')
                ORDER BY mv.period DESC LIMIT 1) AS status
        FROM outcomes o JOIN indicators i ON i.outcome = o.slug
        """,
        """
        SELECT o.slug AS outcome, o.title AS outcome_title, o.status AS outcome_status,
               i.slug AS indicator, i.title AS indicator_title, i.unit AS unit,
               i.direction AS direction,
               i.baseline AS baseline, i.target AS target, i.target_date AS target_date,
               (SELECT ob.value FROM observations ob WHERE ob.indicator = i.slug
                ORDER BY ob.date DESC LIMIT 1) AS latest,
               (SELECT ob.date FROM observations ob WHERE ob.indicator = i.slug
                ORDER BY ob.date DESC LIMIT 1) AS latest_date,
               NULL AS status
        FROM outcomes o JOIN indicators i ON i.outcome = o.slug
        """,
        """
        SELECT o.slug AS outcome, o.title AS outcome_title, o.status AS outcome_status,
               NULL AS indicator, NULL AS indicator_title, NULL AS unit,
               NULL AS direction, NULL AS baseline,
               NULL AS target, NULL AS target_date, NULL AS latest, NULL AS latest_date,
               NULL AS status
        FROM outcomes o
        """,
    ],
    # every observation of every indicator, for the charts
    "indicator_series": [
        """
        SELECT ob.indicator AS indicator, ob.date AS date, ob.value AS value
        FROM observations ob
        """,
        "SELECT NULL AS indicator, NULL AS date, NULL AS value WHERE 0",
    ],
    # where are the gaps
    "where_are_the_gaps": [
        """
        SELECT g.outcome AS outcome, o.title AS outcome_title, g.need AS need,
               g.description AS description, g.essential AS essential,
               g.state AS state, g.gap AS gap, g.unit AS unit, g.killer AS killer,
               g.candidate AS candidate, v.verdict AS verdict
        FROM gaps g JOIN outcomes o ON o.slug = g.outcome
        LEFT JOIN outcome_verdicts v ON v.outcome = g.outcome
        """,
        """
        SELECT o.slug AS outcome, o.title AS outcome_title, NULL AS need,
               NULL AS description, NULL AS essential,
               'no contributions recorded' AS state, NULL AS gap, NULL AS unit,
               NULL AS killer, NULL AS candidate, NULL AS verdict
        FROM outcomes o
        WHERE NOT EXISTS (SELECT 1 FROM contributions c WHERE c.outcome = o.slug)
        """,
    ],
    # who keeps their promises
    "who_keeps_promises": [
        """
        SELECT l.partner AS partner, pa.name AS partner_name, l.made AS made,
               l.kept AS kept, l.kept_late AS kept_late, l.open AS open,
               l.overdue AS overdue, l.withdrawn AS withdrawn,
               l.kept_rate AS kept_rate
        FROM ledger l JOIN partners pa ON pa.slug = l.partner
        """,
        """
        SELECT NULL AS partner, NULL AS partner_name, NULL AS made, NULL AS kept,
               NULL AS kept_late, NULL AS open, NULL AS overdue, NULL AS withdrawn,
               NULL AS kept_rate
        WHERE 0
        """,
    ],
    # the latest news: written updates where they exist, else the change log
    "latest_updates": [
        """
        SELECT 'update-' || u.id AS id, u.date AS at, u.partner AS partner,
               u.outcome AS outcome, u.text AS summary, 'update' AS kind
        FROM updates u
        UNION ALL
        SELECT 'change-' || ch.id, ch.at, NULL, NULL, ch.summary, 'change'
        FROM changes ch
        """,
        """
        SELECT 'change-' || ch.id AS id, ch.at AS at, NULL AS partner, NULL AS outcome,
               ch.summary AS summary, 'change' AS kind
        FROM changes ch
        """,
    ],
}


#: cross-feature views stored as tables (the public file is read-only, so a page is a
#: read of an indexed table, not a recomputation), with the columns to index
MATERIALISED: dict[str, tuple[str, ...]] = {
    "who_does_what": ("outcome", "partner"),
    "is_it_working": ("outcome", "indicator"),
    "where_are_the_gaps": ("outcome",),
    "who_keeps_promises": ("partner",),
    "latest_updates": ("at",),
}


def _materialise(conn: sqlite3.Connection, name: str, index: tuple[str, ...]) -> None:
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", [name]).fetchone()[0]
    conn.execute(f"DROP VIEW {_quote(name)}")
    select = sql.split(" AS ", 1)[1]
    conn.execute(f"CREATE TABLE {_quote(name)} AS SELECT * FROM ({select})")
    for col in index:
        conn.execute(f"CREATE INDEX {_quote('idx_' + name + '_' + col)} ON {_quote(name)} ({_quote(col)})")


# -- the public database -----------------------------------------------------------


def default_metadata_path(target: str | os.PathLike[str]) -> Path:
    """Where the generated metadata goes: ``public.db`` -> ``public.metadata.yml``."""
    target = Path(target)
    return target.with_name(target.stem + ".metadata.yml")


def _check_target(p: Any, target: Path, force: bool = False) -> None:
    if str(p.store.path) == ":memory:":
        raise PublishError("an in-memory partnership cannot be published; save it to a file first")
    # never the working database, never through a link, never over something that is not
    # a public database written by us (unless force): see partnership.outfiles
    outfiles.check_target(target, **_target_rules(p, force))


def _target_rules(p: Any, force: bool) -> dict[str, Any]:
    return {"protect": outfiles.protected_paths(p.store.path), "force": force,
            "recognise": is_public_database, "what": "a public partnership database",
            "sqlite": True}


#: a file publish wrote: an SQLite file with the site table and no working tables
is_public_database = outfiles.sqlite_with_table(SITE_TABLE, without="partnership")
#: the first line of the metadata publish writes
METADATA_HEADER = "# Generated by 'partnership publish' from datasette-metadata.yml; do not edit.\n"
is_generated_metadata = outfiles.starts_with(METADATA_HEADER.split(" from ")[0].encode())


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
                f"CREATE {'UNIQUE ' if unique else ''}INDEX main.{_quote('idx_' + table + '_' + '_'.join(idx_cols))} "
                f"ON {_quote(table)} ({', '.join(_quote(c) for c in idx_cols)})")
    for col in fks:
        if (col,) not in indexed and not (pks and pks[0] == col):
            indexed.add((col,))
            conn.execute(f"CREATE INDEX main.{_quote('idx_' + table + '_' + col)} "
                         f"ON {_quote(table)} ({_quote(col)})")
    return conn.execute(f"SELECT count(*) FROM main.{_quote(table)}").fetchone()[0]


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


def collect_public_data(pm: Any) -> list[PublicData]:
    """Tables and views plugins add through the ``register_public_data`` hook."""
    found: list[PublicData] = []
    hook = getattr(pm.hook, "register_public_data", None)
    if hook is None:
        return found
    for impl in hook.get_hookimpls():
        plugin_name = impl.plugin_name

        def register(item: PublicData | None = None, /, **kwargs: Any) -> None:
            if item is None:
                item = PublicData(**kwargs)
            if not isinstance(item, PublicData):
                raise PublishError(
                    f"plugin '{plugin_name}' registered {item!r}, not a PublicData; see docs/dashboard.md")
            found.append(attrs.evolve(item, plugin=item.plugin or plugin_name))

        try:
            impl.function(register=register)
        except PartnershipError:
            raise
        except Exception as exc:
            raise PublishError(
                f"plugin '{plugin_name}' failed in register_public_data ({type(exc).__name__}: "
                f"{exc}); fix it or remove it from the plugins") from None
    return found


def _refresh_metrics(p: Any) -> bool:
    """Run the measurement step's refresh, where that feature is installed."""
    for name in ("measure", "metrics", "measurement"):
        try:
            ns = getattr(p, name, None)
        except PartnershipError:
            raise
        except Exception:
            ns = None
        refresh = getattr(ns, "refresh", None)
        if callable(refresh):
            refresh()
            return True
    return False


LICENCE_NAMES = {"OGL-UK-3.0": "Open Government Licence v3.0"}


def _safe_link(value: str | None) -> str:
    """A stored link as published: one that today's checks refuse (stored by an older,
    more lenient version) is left out rather than put in an ``href``."""
    from .validators import link_problem

    return value if value and link_problem(value) is None else ""


def _drop_unsafe_links(conn: sqlite3.Connection) -> None:
    """Blank the partners' stored websites that today's link checks refuse."""
    from .validators import link_problem

    cols = {r[1] for r in conn.execute("PRAGMA main.table_info(partners)")}
    if "website" not in cols:
        return
    bad = [slug for slug, site in conn.execute("SELECT slug, website FROM main.partners")
           if site and link_problem(site) is not None]
    conn.executemany("UPDATE main.partners SET website = '' WHERE slug = ?", [(b,) for b in bad])


def site_info(p: Any) -> dict[str, Any]:
    info = p.info()
    governance = getattr(info.governance, "value", info.governance)
    return {
        "title": info.name,
        "description": info.purpose,
        "governance": governance,
        "licence": LICENCE_NAMES.get(info.licence, info.licence),
        "licence_url": _safe_link(info.licence_url),
        "website": _safe_link(info.website),
        "published_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "as_of": p.today().isoformat(),
    }


def publish(p: Any, target: str | os.PathLike[str], *, metadata: str | os.PathLike[str] | None = None,
            metadata_out: str | os.PathLike[str] | None | bool = None, refresh: bool = True,
            robots: str | None = None, licence: str | None = None,
            licence_url: str | None = None, force: bool = False) -> PublishResult:
    """Write the public database of ``p`` to ``target`` (and its Datasette metadata).

    ``metadata`` is the base ``datasette-metadata.yml`` (default: the packaged one);
    the generated copy, with the partnership's title, description and licence and only
    the canned queries that run on this database, goes to ``metadata_out`` (default
    ``<target stem>.metadata.yml`` beside the database; ``False`` for none).
    ``robots`` is ``"allow"`` or ``"block"`` (default: as the metadata says).
    An existing target or metadata file that publish did not write is replaced only
    with ``force``; the working database never is.
    """
    from .public import PUBLIC_VIEWS, PrivateDataGuard, public_tables, publish_changes

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
        result.refreshed = _refresh_metrics(p) if refresh else False
        extra = collect_public_data(p.plugin_manager)
        # what plugin data may not hold: private field names and the record's private values
        guard = PrivateDataGuard.read(p.store.conn) if extra else None
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
            allowed = public_tables()
            source_tables = {r[0] for r in conn.execute(
                "SELECT name FROM src.sqlite_master WHERE type = 'table'")}
            published = {t for t in allowed if t in source_tables}
            for table in sorted(published):
                count = _copy_table(conn, table, allowed[table], published)
                if count is None:
                    result.skipped[table] = "no publishable columns"
                else:
                    result.tables[table] = count
            if "changes" in result.tables:
                # entities that are not public: counts only, even in logs written with keys
                publish_changes(conn, "src")
                result.tables["changes"] = conn.execute("SELECT count(*) FROM main.changes").fetchone()[0]
            conn.execute("COMMIT")
            _drop_unsafe_links(conn)
            conn.execute("DETACH DATABASE src")
            # from here on only the public data is reachable
            conn.execute("BEGIN")
            _write_site(conn, info)
            result.tables[SITE_TABLE] = 1
            _index_series(conn)
            _create_extras(conn, extra, result, guard)
            for name, sql in PUBLIC_VIEWS.items():
                why = _try_view(conn, name, sql)
                if why:
                    result.skipped[name] = why
                else:
                    result.views.append(name)
            for name, candidates in CROSS_VIEWS.items():
                if name in result.views or name in result.tables:
                    continue
                for sql in candidates:
                    why = _try_view(conn, name, sql)
                    if why is None:
                        if name in MATERIALISED:
                            _materialise(conn, name, MATERIALISED[name])
                            result.tables[name] = conn.execute(
                                f"SELECT count(*) FROM {_quote(name)}").fetchone()[0]
                        result.views.append(name)
                        break
                else:
                    result.skipped[name] = why or "no candidate"
            conn.execute("COMMIT")
            conn.execute("ANALYZE")
            conn.execute("VACUUM")
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            assert mode == "delete", mode
        finally:
            conn.close()
        if meta_out is not None:
            write_metadata(tmp, meta_out, info, database=target.stem, base=metadata, robots=robots,
                           force=force, protect=[*outfiles.protected_paths(p.store.path), target])
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


def _create_extras(conn: sqlite3.Connection, extra: list[PublicData], result: PublishResult,
                   guard: Any) -> None:
    existing = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    for item in extra:
        if item.name in existing or not item.name.replace("_", "").isalnum():
            raise PublishError(
                f"plugin '{item.plugin}' registered public data '{item.name}', a name that is "
                f"{'already taken' if item.name in existing else 'not a plain table name'}; rename it")
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
        elif item.sql and item.kind == "table":
            try:
                conn.execute(f"CREATE TABLE {_quote(item.name)} AS {item.sql}")
            except sqlite3.Error as exc:
                raise PublishError(
                    f"plugin '{item.plugin}' public table '{item.name}' failed: {exc}; its SQL "
                    f"may only read public tables") from None
            result.tables[item.name] = conn.execute(
                f"SELECT count(*) FROM {_quote(item.name)}").fetchone()[0]
        elif item.sql:
            why = _try_view(conn, item.name, item.sql)
            if why:
                raise PublishError(
                    f"plugin '{item.plugin}' public view '{item.name}' failed: {why}; its SQL "
                    f"may only read public tables")
            result.views.append(item.name)
        else:
            raise PublishError(f"plugin '{item.plugin}' registered '{item.name}' with neither sql nor rows")
        why = guard.problem(conn, item.name, item.sql) if guard is not None else None
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


# -- metadata -----------------------------------------------------------------------------


def load_metadata(base: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    import yaml

    path = Path(base) if base else METADATA_FILE
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
                   robots: str | None = None) -> dict[str, Any]:
    """The metadata for one published file: the base file, filled in and checked.

    Descriptive keys get the partnership's own title, description and licence; the
    database block is renamed to ``database``; canned queries whose SQL does not run on
    this database, and table descriptions of absent tables, are left out.
    """
    meta = load_metadata(base)
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
                   force: bool = False, protect: Iterable[Any] = ()) -> Path:
    """Write the generated metadata to ``out`` through :func:`partnership.outfiles.write_output`:
    an existing file is replaced only if publish wrote it (or with ``force``)."""
    import yaml

    meta = build_metadata(db_path, info, database=database, base=base, robots=robots)

    def write(f: Any) -> None:
        f.write(METADATA_HEADER)
        yaml.safe_dump(meta, f, sort_keys=False, allow_unicode=True, width=100)

    return outfiles.write_output(out, write, protect=protect, private=False, force=force,
                                 recognise=is_generated_metadata,
                                 what="metadata written by 'partnership publish'")


PublicDataRegister = Callable[..., None]


# -- serving -------------------------------------------------------------------------------

PACKAGE_DIR = Path(__file__).parent
TEMPLATE_DIR = PACKAGE_DIR / "templates"
DATASETTE_PLUGINS_DIR = PACKAGE_DIR / "datasette_plugins"


#: what one request may cost the public site, whatever the metadata says or leaves out:
#: a query stops after 1 s and returns at most 1,000 rows, and CSV is never streamed
#: (a stream re-runs the table's query once per 1,000 rows, and one request could keep
#: a core busy for minutes; the whole file downloads as /public.db instead). The
#: metadata's ``settings`` block may change them.
SAFE_SETTINGS: dict[str, Any] = {"sql_time_limit_ms": 1000, "max_returned_rows": 1000,
                                 "allow_csv_stream": False}


def datasette_settings(metadata: dict[str, Any]) -> dict[str, Any]:
    """The ``settings`` block of the metadata (configuration, not description), over
    :data:`SAFE_SETTINGS`."""
    settings = metadata.get("settings") or {}
    return {**SAFE_SETTINGS, **(settings if isinstance(settings, dict) else {})}


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
    """Serve the public database with Datasette until interrupted.

    Ctrl+C stops it within about a second: answers still being sent then (a client
    that is slow to read a download, say) are cut off rather than waited for.
    """
    import uvicorn

    check_port_free(host, port)
    ds = make_datasette(public_db, metadata_path)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on",
                timeout_graceful_shutdown=SHUTDOWN_SECONDS, log_config=_log_config())


#: how long Ctrl+C waits for answers still being sent before it cuts them off
SHUTDOWN_SECONDS = 1


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, without a traceback for each answer Ctrl+C cuts off (uvicorn
    logs the cancellation it caused as an exception; its one-line "Cancel N running
    task(s)" says what happened)."""
    import asyncio
    import copy
    import logging

    from uvicorn.config import LOGGING_CONFIG

    class CutOffAtShutdown(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return not (record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError))

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["cut_off"] = {"()": CutOffAtShutdown}
    config["loggers"].setdefault("uvicorn.error", {})["filters"] = ["cut_off"]
    return config
