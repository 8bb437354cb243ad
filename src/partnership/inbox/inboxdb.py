"""The inbox database: a separate SQLite file the inbox site reads and writes.

It holds what each partner may report (copied from the working file by the lead's
commands: people and their link versions, partners, the indicators each reports with
their last figures, open commitments), a private config (the link-signing secret) and
the ``submissions`` table. The inbox site never opens the working file; the lead's
commands read this file and write the record through the library.

A submission is ``draft`` (saved, not sent), ``pending`` (sent), ``returned`` (the lead
gave a reason; it can be revised and sent again) or ``accepted``. A partner has at most
one open (draft, pending or returned) submission per subject (an indicator and date, a
commitment): sending again revises it. Each submission also has a random ``uid``, which
the working file records once it is applied, so an inbox file rebuilt from nothing can
never apply a submission twice.

This module knows nothing of the working file, of click or of Datasette: plain
``sqlite3``, so the site can run these functions on its own write connection.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: ``inbox_meta.format``: marks a file as an inbox database
FORMAT = "partnership-inbox/1"
STATES = ("draft", "pending", "returned", "accepted")
OPEN_STATES = ("draft", "pending", "returned")
BUSY_TIMEOUT_MS = 30_000

SCHEMA = """
CREATE TABLE inbox_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE partners (
    slug TEXT PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE people (
    slug TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    partner TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE indicators (
    partner TEXT NOT NULL,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    unit TEXT NOT NULL,
    outcome TEXT NOT NULL,
    outcome_title TEXT NOT NULL,
    direction TEXT NOT NULL,
    frequency TEXT NOT NULL,
    baseline REAL NOT NULL,
    baseline_date TEXT NOT NULL,
    target REAL NOT NULL,
    target_date TEXT NOT NULL,
    last_value REAL,
    last_date TEXT,
    PRIMARY KEY (partner, slug)
);
CREATE TABLE outcomes (
    partner TEXT NOT NULL,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    PRIMARY KEY (partner, slug)
);
CREATE TABLE meetings (
    slug TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    date TEXT NOT NULL
);
CREATE TABLE pairs (
    person TEXT PRIMARY KEY,
    round TEXT NOT NULL,
    number INTEGER NOT NULL,
    others TEXT NOT NULL,
    met INTEGER NOT NULL
);
CREATE TABLE areas (
    slug TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    questions TEXT NOT NULL
);
CREATE TABLE commitments (
    id INTEGER PRIMARY KEY,
    partner TEXT NOT NULL,
    owner TEXT,
    what TEXT NOT NULL,
    outcome TEXT,
    activity TEXT,
    due TEXT NOT NULL,
    additional INTEGER NOT NULL,
    created TEXT NOT NULL
);
CREATE INDEX idx_commitments_partner ON commitments(partner);
CREATE TABLE submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL UNIQUE,
    person TEXT NOT NULL,
    partner TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    summary TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'pending', 'returned', 'accepted')),
    via TEXT NOT NULL DEFAULT 'web',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by TEXT,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX idx_submissions_state ON submissions(state, id);
CREATE INDEX idx_submissions_partner ON submissions(partner, state);
"""

SCOPE_TABLES = ("partners", "people", "outcomes", "indicators", "commitments", "meetings", "areas",
                "pairs")


class InboxFileProblem(Exception):
    """The inbox file is missing, damaged or not an inbox database (``reason`` says which)."""


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def connect(path: str | os.PathLike[str], *, readonly: bool = False) -> sqlite3.Connection:
    """A connection to an existing inbox file (WAL, busy timeout, autocommit mode)."""
    if readonly:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True,
                               isolation_level=None, check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")  # one sync per commit; readers never wait
    return conn


def create_schema(conn: sqlite3.Connection, *, first_id: int = 1) -> None:
    """Make the inbox tables in an empty file; submission ids start at ``first_id``."""
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript("BEGIN IMMEDIATE;" + SCHEMA + "COMMIT;")
    with transaction(conn):
        conn.execute("INSERT INTO inbox_meta (key, value) VALUES ('format', ?)", [FORMAT])
        conn.execute("INSERT INTO inbox_meta (key, value) VALUES ('created_at', ?)", [now()])
        if first_id > 1:
            conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('submissions', ?)",
                         [first_id - 1])


def problem(path: str | os.PathLike[str]) -> str | None:
    """Why the file at ``path`` cannot be used as the inbox database, or None if it can."""
    p = Path(path)
    if not p.exists():
        return "missing"
    try:
        conn = connect(p, readonly=True)
    except sqlite3.Error as exc:
        return f"damaged ({exc})"
    try:
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            return f"damaged ({check})"
        row = conn.execute("SELECT value FROM inbox_meta WHERE key = 'format'").fetchone()
        if row is None or row[0] != FORMAT:
            return "not an inbox database"
        conn.execute("SELECT count(*) FROM submissions").fetchone()
    except sqlite3.Error as exc:
        return f"damaged ({exc})"
    finally:
        conn.close()
    return None


def is_inbox_file(path: Path) -> bool:
    """Recognises an inbox file (so rebuilding one may replace it without --force)."""
    return problem(path) is None


def salvage(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The open submissions that can still be read from a damaged file (best effort)."""
    found: list[dict[str, Any]] = []
    try:
        conn = connect(path, readonly=True)
    except sqlite3.Error:
        return found
    try:
        cursor = conn.execute(
            "SELECT id, uid, person, partner, kind, summary, state FROM submissions "
            "WHERE state IN ('draft', 'pending', 'returned') ORDER BY id")
        names = [d[0] for d in cursor.description]
        while True:
            try:
                row = cursor.fetchone()
            except sqlite3.Error:
                break
            if row is None:
                break
            found.append(dict(zip(names, row, strict=True)))
    except sqlite3.Error:
        pass
    finally:
        conn.close()
    return found


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def rows(conn: sqlite3.Connection, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description or ()]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


# -- what each partner may report ----------------------------------------------------------------

def write_scope(conn: sqlite3.Connection, scope: dict[str, Any]) -> None:
    """Replace what each partner may report, and the private config, in one transaction.

    ``scope`` has ``meta`` (key -> text: the secret, the partnership's name) and a list
    of rows for each of :data:`SCOPE_TABLES`."""
    with transaction(conn):
        replace_scope(conn, scope)


def replace_scope(conn: sqlite3.Connection, scope: dict[str, Any]) -> None:
    """:func:`write_scope` inside a transaction the caller holds."""
    for table in SCOPE_TABLES:
        conn.execute(f"DELETE FROM {table}")
        items: list[dict[str, Any]] = scope.get(table, [])
        if not items:
            continue
        cols = list(items[0])
        conn.executemany(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
            [[r[c] for c in cols] for r in items])
    for key, value in scope.get("meta", {}).items():
        conn.execute("INSERT INTO inbox_meta (key, value) VALUES (?, ?) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, str(value)])
    conn.execute("INSERT INTO inbox_meta (key, value) VALUES ('synced_at', ?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", [now()])


def set_version(conn: sqlite3.Connection, person: str, version: int) -> None:
    """A revocation, copied to a running site at once."""
    with transaction(conn):
        conn.execute("UPDATE people SET version = ? WHERE slug = ?", [version, person])


def meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM inbox_meta WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def version_of(conn: sqlite3.Connection, person: str) -> int | None:
    row = conn.execute("SELECT version FROM people WHERE slug = ?", [person]).fetchone()
    return None if row is None else int(row[0])


def indicators_of(conn: sqlite3.Connection, partner: str) -> list[dict[str, Any]]:
    return rows(conn, "SELECT * FROM indicators WHERE partner = ? ORDER BY outcome, slug", [partner])


def indicator_of(conn: sqlite3.Connection, partner: str, slug: str) -> dict[str, Any] | None:
    found = rows(conn, "SELECT * FROM indicators WHERE partner = ? AND slug = ?", [partner, slug])
    return found[0] if found else None


def outcomes_of(conn: sqlite3.Connection, partner: str) -> list[dict[str, Any]]:
    return rows(conn, "SELECT * FROM outcomes WHERE partner = ? ORDER BY title", [partner])


def outcome_of(conn: sqlite3.Connection, partner: str, slug: str) -> dict[str, Any] | None:
    found = rows(conn, "SELECT * FROM outcomes WHERE partner = ? AND slug = ?", [partner, slug])
    return found[0] if found else None


def pair_of(conn: sqlite3.Connection, person: str) -> dict[str, Any] | None:
    """``person``'s unmentoring group in the latest round, if they were drawn in it."""
    found = rows(conn, "SELECT * FROM pairs WHERE person = ?", [person])
    return found[0] if found else None


def one(conn: sqlite3.Connection, table: str, slug: str) -> dict[str, Any] | None:
    """A row of a scope table that everyone shares (``meetings``, ``areas``) by slug."""
    found = rows(conn, f"SELECT * FROM {table} WHERE slug = ?", [slug])
    return found[0] if found else None


def commitments_of(conn: sqlite3.Connection, partner: str) -> list[dict[str, Any]]:
    return rows(conn, "SELECT * FROM commitments WHERE partner = ? ORDER BY due, id", [partner])


def commitment_of(conn: sqlite3.Connection, partner: str, ident: int) -> dict[str, Any] | None:
    found = rows(conn, "SELECT * FROM commitments WHERE partner = ? AND id = ?", [partner, ident])
    return found[0] if found else None


# -- submissions ---------------------------------------------------------------------------------

def save(conn: sqlite3.Connection, *, person: str, partner: str, kind: str, subject: str,
         summary: str, payload: dict[str, Any], state: str, via: str) -> int:
    """Store a submission (``draft`` or ``pending``); returns its id.

    An open submission of the same partner, kind and subject is revised in place (a
    returned one goes back to pending); an accepted one is never touched."""
    return save_many(conn, [{"person": person, "partner": partner, "kind": kind, "subject": subject,
                             "summary": summary, "payload": payload}], state=state, via=via)[0]


def save_many(conn: sqlite3.Connection, items: Iterable[dict[str, Any]], *, state: str,
              via: str) -> list[int]:
    """Store several submissions in one transaction (all or none), each as :func:`save`
    stores one; ``items`` have ``person``, ``partner``, ``kind``, ``subject``, ``summary``
    and ``payload``. Their ids, in order."""
    if state not in ("draft", "pending"):
        raise ValueError(f"a new submission is a draft or pending, not {state}")
    at = now()
    ids: list[int] = []
    with transaction(conn):
        for item in items:
            ids.append(_save_one(conn, item, state=state, via=via, at=at))
    return ids


def _save_one(conn: sqlite3.Connection, item: dict[str, Any], *, state: str, via: str, at: str) -> int:
    text = json.dumps(item["payload"], sort_keys=True, ensure_ascii=False)
    person, partner, kind, subject, summary = (item[k] for k in ("person", "partner", "kind", "subject",
                                                                  "summary"))
    found = conn.execute(
        "SELECT id FROM submissions WHERE partner = ? AND kind = ? AND subject = ? "
        "AND state IN ('draft', 'pending', 'returned') ORDER BY id DESC LIMIT 1",
        [partner, kind, subject]).fetchone()
    if found:
        conn.execute(
            "UPDATE submissions SET person = ?, summary = ?, payload = ?, state = ?, via = ?, "
            "updated_at = ?, reason = '' WHERE id = ?",
            [person, summary, text, state, via, at, found[0]])
        return int(found[0])
    cursor = conn.execute(
        "INSERT INTO submissions (uid, person, partner, kind, subject, summary, payload, state, "
        "via, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [secrets.token_hex(16), person, partner, kind, subject, summary, text, state, via, at, at])
    return int(cursor.lastrowid or 0)


def send_draft(conn: sqlite3.Connection, ident: int, partner: str) -> bool:
    """Send a draft of ``partner`` (it becomes pending); False if there is no such draft."""
    with transaction(conn):
        cursor = conn.execute(
            "UPDATE submissions SET state = 'pending', updated_at = ? "
            "WHERE id = ? AND partner = ? AND state = 'draft'", [now(), ident, partner])
        return cursor.rowcount == 1


def get(conn: sqlite3.Connection, ident: int) -> dict[str, Any] | None:
    found = rows(conn, "SELECT * FROM submissions WHERE id = ?", [ident])
    return _decoded(found[0]) if found else None


def listing(conn: sqlite3.Connection, *, states: Iterable[str] = ("pending",),
            partner: str | None = None) -> list[dict[str, Any]]:
    wanted = list(states)
    sql = f"SELECT * FROM submissions WHERE state IN ({', '.join('?' for _ in wanted)})"
    params: list[Any] = list(wanted)
    if partner is not None:
        sql += " AND partner = ?"
        params.append(partner)
    return [_decoded(r) for r in rows(conn, sql + " ORDER BY id", params)]


def of_partner(conn: sqlite3.Connection, partner: str, limit: int = 200) -> list[dict[str, Any]]:
    """A partner's submissions, newest first (what the inbox page lists)."""
    return [_decoded(r) for r in rows(
        conn, "SELECT * FROM submissions WHERE partner = ? ORDER BY id DESC LIMIT ?", [partner, limit])]


def decide(conn: sqlite3.Connection, idents: Iterable[int], *, state: str, by: str,
           reason: str = "") -> None:
    """Mark submissions accepted or returned, in one transaction."""
    at = now()
    with transaction(conn):
        conn.executemany(
            "UPDATE submissions SET state = ?, decided_at = ?, decided_by = ?, reason = ?, "
            "updated_at = ? WHERE id = ?", [[state, at, by, reason, at, i] for i in idents])


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    try:
        row["payload"] = json.loads(row["payload"])
    except (TypeError, ValueError):
        row["payload"] = {}
    return row
