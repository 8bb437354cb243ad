"""Keeping a partnership file healthy: online backup and the doctor's checks."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import define

from . import outfiles, schema
from .errors import PartnershipError
from .words import plural

if TYPE_CHECKING:
    from .api import Partnership


@define(frozen=True)
class Diagnosis:
    """One line of the doctor's report."""

    check: str
    ok: bool
    detail: str


#: what a backup is: an SQLite file holding a partnership (one ``backup`` may replace)
is_partnership_database = outfiles.sqlite_with_table("partnership")


def backup(p: Partnership, target: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Copy the database to ``target`` with SQLite's online backup API.

    Safe while other processes write: the copy is one consistent snapshot. It is
    written to a new private temporary file beside the target (never through a link)
    and moved into place, so a reader never sees half a file. The working database and
    its ``-wal``/``-shm``/``-journal`` files are refused by any name; an existing file
    that is not a partnership database (an earlier backup) is replaced only with
    ``force``. The backup is readable only by its owner, like the database it copies.
    """
    target = Path(target)
    working = Path(p.store.path)
    if str(working) != ":memory:" and outfiles.same_file(target, working):
        raise PartnershipError(f"{target} is the database itself; back it up to another path")
    out = outfiles.OutputFile(
        target, protect=outfiles.protected_paths(working), private=True, force=force,
        recognise=is_partnership_database, what="a partnership database (an earlier backup)",
        sqlite=True)
    with out as tmp:
        try:
            dest = sqlite3.connect(tmp)
            try:
                p.store.conn.backup(dest)
                dest.execute("PRAGMA journal_mode = DELETE")
            finally:
                dest.close()
        except sqlite3.OperationalError as exc:
            raise PartnershipError(f"cannot write {target}: {exc}; choose another path") from None
    return target


def doctor(p: Partnership) -> list[Diagnosis]:
    """Integrity, foreign keys, schema version, orphaned rows, stale metrics, trend sums
    and stored values that today's checks refuse.

    A check that cannot run because the file is damaged is reported as a problem with
    the way out (restore a backup), so doctor reports on any file that opens."""
    conn = p.store.conn
    found: list[Diagnosis] = []

    def integrity() -> list[Diagnosis]:
        result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if result == ["ok"]:
            return [Diagnosis("integrity", True, "ok")]
        return [Diagnosis("integrity", False, f"the file is damaged: restore your latest backup "
                                              f"({'; '.join(result[:3])})")]

    def foreign_keys() -> list[Diagnosis]:
        problems = conn.execute("PRAGMA foreign_key_check").fetchall()
        return [Diagnosis(
            "foreign keys", not problems,
            "every reference points at a row" if not problems else
            f"{plural(len(problems), 'row refers', 'rows refer')} to missing rows, first in table "
            f"{problems[0][0]}")]

    def schema_version() -> list[Diagnosis]:
        version, known = p.store.schema_version, len(schema.known_migrations())
        return [Diagnosis("schema", version == known, f"version {version} of {known}")]

    def orphaned_people() -> list[Diagnosis]:
        orphans = conn.execute(
            "SELECT count(*) FROM people WHERE partner NOT IN (SELECT slug FROM partners)"
        ).fetchone()[0]
        return [Diagnosis("orphaned people", orphans == 0, f"{orphans} orphaned")]

    checks = [("integrity", integrity), ("foreign keys", foreign_keys),
              ("schema", schema_version), ("orphaned people", orphaned_people),
              ("metrics", lambda: _metric_freshness(conn)), ("trend sums", lambda: _trend_sums(conn)),
              ("stored values", lambda: _stored_values(p))]
    for name, check in checks:
        try:
            found.extend(check())
        except sqlite3.DatabaseError as exc:
            found.append(Diagnosis(name, False, f"the file is damaged: restore your latest "
                                                f"backup (this check could not run: {exc})"))
    return found


def _validators_of(a: Any) -> set[Any]:
    """The validator functions of an attrs field (inside an ``and_`` too)."""
    found = a.validator
    return set(getattr(found, "_validators", None) or ([found] if found else []))


def _stored_values(p: Partnership) -> list[Diagnosis]:
    """Links and slugs stored by an older, more lenient version that today's checks refuse
    (they are read as they are; their next update must fix them)."""
    import attrs

    from . import models
    from . import validators as v
    from .records import entity_of

    conn = p.store.conn
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    refused: list[str] = []
    models_: list[tuple[str, type, tuple[str, ...]]] = [("partnership", models.Partnership, ())]
    models_ += [(entity_of(cls).table, cls, entity_of(cls).key) for cls in p.registry.models]
    for table, cls, key in models_:
        if table not in tables:
            continue
        checks = {}
        for a in attrs.fields(cls):
            found = _validators_of(a)
            if v.url in found:
                checks[a.name] = v.check_url
            elif v.link_or_text in found:
                checks[a.name] = v.check_links_in_text
            elif a.name in key and v.slug in found and not a.metadata.get("ref"):
                checks[a.name] = v.check_slug
        if not checks:
            continue
        columns = ", ".join(f"[{c}]" for c in (*key, *checks))
        label = entity_of(cls).label if hasattr(cls, "__entity__") else "partnership"
        passed: set[tuple[str, str]] = set()  # sources and the like repeat row after row
        for row in conn.execute(f"SELECT {columns} FROM [{table}]"):
            where = "/".join(str(k) for k in row[:len(key)])
            for name, value in zip(checks, row[len(key):], strict=True):
                if not isinstance(value, str) or not value or (name, value) in passed:
                    continue
                try:
                    checks[name](name, value)
                    passed.add((name, value))
                except v.FieldProblem:
                    refused.append(f"{label} {where + ' ' if where else ''}{name} {v.shown(value, 40)}")
    if not refused:
        return [Diagnosis("stored values", True, "every stored link and slug passes today's checks")]
    return [Diagnosis("stored values", False,
                      f"{plural(len(refused), 'value')} stored by an older version "
                      f"{'is' if len(refused) == 1 else 'are'} refused now, "
                      f"first: {refused[0]}; correct them with the matching update command")]


#: the running sums of ``observation_sums``, recomputed from the observations themselves
_FRESH_SUMS = """
    SELECT indicator, count(*) AS n, sum(day - 730000) AS sd, sum(value) AS sy,
           sum((day - 730000) * value) AS sdy, sum((day - 730000) * (day - 730000)) AS sdd
    FROM observations GROUP BY indicator"""


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                        (name,)).fetchone() is not None


def _trend_sums(conn: sqlite3.Connection) -> list[Diagnosis]:
    """The trend sums kept by triggers still add up to the observations they summarise.

    They are updated by adding and subtracting, so floating-point error can build up after
    very many corrections; counts and day sums are integers and must match exactly."""
    if not _has_table(conn, "observation_sums"):
        return []
    kept = {r[0]: r[1:] for r in conn.execute(
        "SELECT indicator, n, sd, sy, sdy, sdd FROM observation_sums WHERE n != 0")}
    fresh = {r[0]: r[1:] for r in conn.execute(_FRESH_SUMS)}
    # the size of the terms, so sums that cancel to near zero are judged fairly
    scale = {r[0]: r[1:] for r in conn.execute(
        "SELECT indicator, sum(abs(value)), sum(abs((day - 730000) * value)) "
        "FROM observations GROUP BY indicator")}

    def close(a: Any, b: Any, size: Any) -> bool:
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, float(size or 0))

    def matches(ind: str) -> bool:
        if ind not in kept or ind not in fresh:
            return False
        (n, sd, sy, sdy, sdd), (fn, fsd, fsy, fsdy, fsdd) = kept[ind], fresh[ind]
        return ((n, sd, sdd) == (fn, fsd, fsdd) and close(sy, fsy, scale[ind][0])
                and close(sdy, fsdy, scale[ind][1]))

    drifted = [ind for ind in kept.keys() | fresh.keys() if not matches(ind)]
    if not drifted:
        return [Diagnosis("trend sums", True, f"match the observations of {plural(len(fresh), 'indicator')}")]
    return [Diagnosis("trend sums", False,
                      f"{plural(len(drifted), 'indicator')} whose running sums no longer match their "
                      f"observations (first: {sorted(drifted)[0]}); run 'partnership doctor --repair'")]


def repair(p: Partnership) -> list[str]:
    """Rebuild the figures the database keeps up to date itself, from the records.

    Only derived data is rewritten (the trend sums, then every metric), in one
    transaction; no record of the partnership is touched. Returns what was done."""
    done: list[str] = []
    conn = p.store.conn
    if _has_table(conn, "observation_sums"):
        with p.store.transaction():
            conn.execute("DELETE FROM observation_sums")
            conn.execute(f"INSERT INTO observation_sums (indicator, n, sd, sy, sdy, sdd) {_FRESH_SUMS}")
        done.append("rebuilt the trend sums from the observations")
        p.measure.refresh(force=True)
        done.append("recomputed every metric")
    return done


#: the changes the built-in figures are computed from
_FIGURE_ENTITIES = ("observation", "observations", "indicator")


def _metric_freshness(conn: sqlite3.Connection) -> list[Diagnosis]:
    """Whether the stored figures reflect every change to indicators and observations,
    judged as ``status`` judges freshness: by the id of the last change each refresh saw,
    not by timestamps (a change in the same second as a refresh is not missed).

    ``status`` and ``publish`` refresh by themselves after any change; this says whether
    the figures stored right now (what a plain Datasette would serve) are current."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "metric_runs" not in tables or "observations" not in tables:
        return []
    marks = ", ".join("?" for _ in _FIGURE_ENTITIES)
    last = conn.execute(f"SELECT max(id) FROM changes WHERE entity IN ({marks})",
                        _FIGURE_ENTITIES).fetchone()[0]
    if last is None:
        return [Diagnosis("metrics", True, "no observations yet")]
    seen, computed = conn.execute("SELECT min(change_id), max(computed_at) FROM metric_runs").fetchone()
    if seen is None:
        return [Diagnosis("metrics", False, "never computed; run 'partnership refresh'")]
    if seen < last:
        since = conn.execute(f"SELECT count(*) FROM changes WHERE id > ? AND entity IN ({marks})",
                             (seen, *_FIGURE_ENTITIES)).fetchone()[0]
        return [Diagnosis("metrics", False,
                          f"stale: {plural(since, 'change')} to indicators or observations since the "
                          f"last refresh; run 'partnership refresh'")]
    return [Diagnosis("metrics", True, f"fresh (computed {computed})")]
