"""Keeping a partnership file healthy: online backup and the doctor's checks."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from attrs import define

from . import schema
from .errors import PartnershipError


@define(frozen=True)
class Diagnosis:
    """One line of the doctor's report."""

    check: str
    ok: bool
    detail: str


def backup(p: Any, target: str | os.PathLike[str]) -> Path:
    """Copy the database to ``target`` with SQLite's online backup API.

    Safe while other processes write: the copy is one consistent snapshot. It is
    written beside the target and moved into place, so a reader never sees half a file.
    """
    target = Path(target)
    if target.exists() and target.resolve() == Path(p.store.path).resolve():
        raise PartnershipError(f"{target} is the database itself; back it up to another path")
    if not target.parent.is_dir():
        raise PartnershipError(f"cannot write {target}: the folder {target.parent} does not exist")
    if target.is_dir():
        raise PartnershipError(f"{target} is a folder; give a file name such as backup.db")
    tmp = target.with_name(target.name + ".partial")
    try:
        dest = sqlite3.connect(tmp)
        try:
            p.store.conn.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE")
        finally:
            dest.close()
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise PartnershipError(f"cannot write {target}: {exc.strerror}; choose another path") from None
    return target


def doctor(p: Any) -> list[Diagnosis]:
    """Integrity, foreign keys, schema version, orphaned rows and stale metrics."""
    conn = p.store.conn
    found: list[Diagnosis] = []
    result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    found.append(Diagnosis("integrity", result == ["ok"],
                           "ok" if result == ["ok"] else "; ".join(result[:5])))
    problems = conn.execute("PRAGMA foreign_key_check").fetchall()
    found.append(Diagnosis(
        "foreign keys", not problems,
        "every reference points at a row" if not problems else
        f"{len(problems)} row(s) refer to missing rows, first in table {problems[0][0]}"))
    version, known = p.store.schema_version, len(schema.known_migrations())
    found.append(Diagnosis("schema", version == known, f"version {version} of {known}"))
    orphans = conn.execute(
        "SELECT count(*) FROM people WHERE partner NOT IN (SELECT slug FROM partners)").fetchone()[0]
    found.append(Diagnosis("orphaned people", orphans == 0, f"{orphans} orphaned"))
    found.extend(_metric_freshness(conn))
    found.extend(_trend_sums(conn))
    return found


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
        return [Diagnosis("trend sums", True, f"match the observations of {len(fresh)} indicator(s)")]
    return [Diagnosis("trend sums", False,
                      f"{len(drifted)} indicator(s) whose running sums no longer match their "
                      f"observations (first: {sorted(drifted)[0]}); run 'partnership doctor --repair'")]


def repair(p: Any) -> list[str]:
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


def _metric_freshness(conn: sqlite3.Connection) -> list[Diagnosis]:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "metric_values" not in tables or "observations" not in tables:
        return []
    columns = {r[1] for r in conn.execute("PRAGMA table_info(metric_values)")}
    if "computed_at" not in columns:
        return []
    last_computed = conn.execute("SELECT max(computed_at) FROM metric_values").fetchone()[0]
    last_change = conn.execute(
        "SELECT max(at) FROM changes WHERE entity IN ('observation', 'observations', 'indicator')"
    ).fetchone()[0]
    if last_change is None:
        return [Diagnosis("metrics", True, "no observations yet")]
    stale = last_computed is None or str(last_computed) < str(last_change)
    return [Diagnosis("metrics", not stale,
                      "stale: observations changed since the last refresh; run 'partnership refresh'"
                      if stale else f"fresh (computed {last_computed})")]
