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
    return found


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
