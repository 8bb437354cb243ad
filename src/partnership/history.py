"""Undo from the change log: take back the last command (or any one), keeping the history.

Every change is an entry of the change log (``changes``): what was added (the row), what
was updated (the fields before and after) and what was removed (the whole row; its
private fields, such as a person's email, are kept apart in ``change_private`` and never
published or shown). The entries one command wrote share a ``command`` number, so
undo takes a command back whole: an activity added with its outcomes, a meeting
trimmed of three items.

Undo never deletes history: it writes new entries that reverse the old ones (an add
is reversed by a remove, an update by the update back, a remove by an add), each
marked ``undo_of`` the entry it reverses. So an undo can itself be undone (a redo),
and ``partnership log`` shows both.

Undo is refused, with the database untouched, when

* a later change (not itself undone) touched the same record: undo that one first;
* the record is not as the entry left it (a figure changed since by a CSV import with
  ``--replace``, which logs counts only);
* putting the record back would break a reference (a removed partner's people) or
  taking it away would leave others pointing at it;
* the log holds counts only: changes to records that are not public (pairings, who
  opted in to unmentoring), rows drawn with them, whole-file imports;
* the command was already undone (undo the undo to do it again).

``partnership undo`` takes back the most recent command that is not an undo and not
already undone, so repeated undos walk back through the log; ``--change ID`` takes
back the command that wrote entry ID.

Library: ``p.history.undo(change_id=None, reason="")`` (or ``p.undo()``) returns an
:class:`UndoResult`.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import attrs
from attrs import define, field

from .errors import Conflict, NotFound, ValidationError
from .records import entity_of, key_text

if TYPE_CHECKING:
    from .api import Partnership

__all__ = ["History", "UndoResult", "UNDOABLE"]

#: the actions undo knows how to reverse (anything else is refused with the reason)
UNDOABLE = ("add", "update", "correct", "remove")

_REVERSE = {"add": "remove", "update": "update", "correct": "update", "remove": "add"}


@define(kw_only=True)
class UndoResult:
    """What one undo did."""

    #: the command taken back (the id of its first change-log entry)
    command: int
    #: the change-log entries it reversed, oldest first
    undone: list[int] = field(factory=list)
    #: their summaries, as logged
    summaries: list[str] = field(factory=list)
    #: the new entries that reverse them
    entries: list[int] = field(factory=list)


@define(frozen=True)
class _Kind:
    """Where the rows of one change-log entity live."""

    table: str
    key: tuple[str, ...]
    cls: type | None


@define(kw_only=True)
class _Entry:
    id: int
    command: int
    action: str
    entity: str
    key: str
    summary: str
    data: dict[str, Any]
    undo_of: int | None


def _entry(row: dict[str, Any]) -> _Entry:
    return _Entry(id=row["id"], command=row["command"] if row["command"] is not None else row["id"],
                  action=row["action"], entity=row["entity"], key=row["key"],
                  summary=row["summary"], data=json.loads(row["data"] or "{}"),
                  undo_of=row["undo_of"])


_COLUMNS = "id, command, action, entity, key, summary, data, undo_of"


class History:
    """``p.history``: undo from the change log (see the module docstring)."""

    def __init__(self, p: Partnership) -> None:
        self.p = p

    # -- reading the log ---------------------------------------------------------------------

    def _query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        return self.p.store.query(sql, params)

    def _command_entries(self, command: int) -> list[_Entry]:
        # (command IS NULL: an entry logged before commands were recorded is one on its own)
        return [_entry(r) for r in self._query(
            f"SELECT {_COLUMNS} FROM changes WHERE command = ? OR (command IS NULL AND id = ?) "
            f"ORDER BY id", [command, command])]

    def _undo_map(self) -> dict[int, list[_Entry]]:
        """For each entry that was reversed, the entries reversing it."""
        found: dict[int, list[_Entry]] = {}
        # (no ORDER BY in SQL: it would read the whole log in id order instead of the index)
        rows = self._query(f"SELECT {_COLUMNS} FROM changes WHERE undo_of IS NOT NULL")
        for r in sorted(rows, key=lambda row: int(row["id"])):
            e = _entry(r)
            assert e.undo_of is not None
            found.setdefault(e.undo_of, []).append(e)
        return found

    def _undone_by(self, command: int, undos: dict[int, list[_Entry]],
                   seen: frozenset[int] = frozenset()) -> int | None:
        """The live undo command that took ``command`` back, if any (an undo that was
        itself undone does not count)."""
        if command in seen or not undos:
            return None
        for entry in self._command_entries(command):
            for rev in undos.get(entry.id, ()):
                if self._undone_by(rev.command, undos, seen | {command}) is None:
                    return rev.command
        return None

    def last_command(self) -> int | None:
        """The most recent command that is not an undo and not already undone.

        The log is read newest first and only as far as needed: a command's entries are
        consecutive (each command holds the write lock while it logs)."""
        undos = self._undo_map()
        cursor = self.p.store.conn.execute(
            "SELECT coalesce(command, id), undo_of IS NOT NULL OR (entity = 'partnership' AND "
            "action = 'add') FROM changes ORDER BY id DESC")
        # each row: (its command, whether it is an undo or the partnership's creation)
        for command, rows in itertools.groupby(_rows(cursor), key=lambda row: row[0]):
            if any(skip for _, skip in rows):
                continue
            if self._undone_by(command, undos) is None:
                return int(command)
        return None

    # -- undo ------------------------------------------------------------------------------------

    def undo(self, change_id: int | None = None, *, reason: str = "") -> UndoResult:
        """Take back the last command (or the one that wrote entry ``change_id``).

        Refused, with nothing written, when a later change depends on it, when the log
        holds counts only, or when it was already undone (see the module docstring).
        """
        if reason is not None and not isinstance(reason, str):
            raise ValidationError(f"the reason must be text (got {reason!r})")
        reason = " ".join((reason or "").split())
        with self.p.store.transaction():
            if change_id is None:
                command = self.last_command()
                if command is None:
                    raise Conflict("there is nothing left to undo: every command since the "
                                   "partnership was created is undone or is an undo (see "
                                   "'partnership log'; 'partnership undo --change ID' redoes one)")
            else:
                if isinstance(change_id, bool) or not isinstance(change_id, int) or change_id < 1:
                    raise ValidationError(
                        f"a change is a number from 'partnership log' (got {change_id!r})")
                rows = self._query(f"SELECT {_COLUMNS} FROM changes WHERE id = ?", [change_id])
                if not rows:
                    last = self._query("SELECT max(id) AS m FROM changes")[0]["m"] or 0
                    raise NotFound("change", change_id,
                                   hint=f"the log has changes 1 to {last}; see 'partnership log'")
                command = _entry(rows[0]).command
            entries = self._command_entries(command)
            self._refuse(command, entries)
            result = UndoResult(command=command)
            for entry in reversed(entries):
                result.entries.append(self._reverse(command, entry, reason))
            result.undone = [e.id for e in entries]
            result.summaries = [e.summary for e in entries]
            result.entries.reverse()
            return result

    # -- refusals -------------------------------------------------------------------------------

    def _refuse(self, command: int, entries: list[_Entry]) -> None:
        label = _label(command, entries)
        undos = self._undo_map()
        by = self._undone_by(command, undos)
        if by is not None:
            raise Conflict(f"{label} was already undone by change {by}; to do it again, undo that: "
                           f"'partnership undo --change {by}'")
        hidden = self.p.registry.hidden_labels()
        for e in entries:
            if e.entity in hidden:
                raise Conflict(
                    f"{label} is about {e.entity}s, which the change log holds as counts only "
                    f"(they are private), so it cannot be undone; change them with the "
                    f"'partnership pairs' commands")
            if e.action == "forget":
                raise Conflict(f"{label} forgot a person: their details were erased for good, so it "
                               f"cannot be undone (add them again with 'partnership person add')")
            if e.action not in UNDOABLE:
                raise Conflict(
                    f"{label} ({e.summary}) is an '{e.action}', which the change log holds as a "
                    f"summary only, so it cannot be undone; correct or remove the records it "
                    f"touched one by one")
            if self._kind(e.entity) is None:
                raise Conflict(
                    f"{label} is about a {e.entity}, a kind of record no installed feature or "
                    f"plugin stores now, so it cannot be undone")
            if e.entity == "partnership" and e.action != "update":
                raise Conflict(f"{label} created the partnership itself; that cannot be undone "
                               f"(start a new file with 'partnership init' instead)")
        last = max(e.id for e in entries)
        touched = sorted({(e.entity, e.key) for e in entries})
        later_entries = sorted(
            (_entry(r) for entity, key in touched for r in self._query(
                f"SELECT {_COLUMNS} FROM changes WHERE entity = ? AND key = ? AND id > ?",
                [entity, key, last])),
            key=lambda e: e.id)
        for later in later_entries:
            if self._undone_by(later.command, undos) is not None:
                continue  # taken back since: no longer in the way
            if later.undo_of is not None and later.undo_of > last:
                continue  # reverses a later change: the two cancel out
            raise Conflict(
                f"cannot undo {label}: a later change depends on it (change {later.id}: "
                f"{later.summary}); undo that first with 'partnership undo --change {later.id}'")

    def _kind(self, label: str) -> _Kind | None:
        if label == "partnership":
            from . import models

            return _Kind("partnership", ("id",), models.Partnership)
        for cls in self.p.registry.models:
            ent = entity_of(cls)
            if ent.label == label:
                return _Kind(ent.table, ent.key, cls)
        return None

    # -- reversing one entry --------------------------------------------------------------------

    def _key_values(self, kind: _Kind, entry: _Entry) -> list[Any]:
        data = entry.data if entry.action in ("add", "remove") else {}
        if all(k in data for k in kind.key):
            return [data[k] for k in kind.key]
        # the key as logged: values joined with '/' (only the last may hold one)
        return entry.key.split("/", len(kind.key) - 1)

    def _row(self, kind: _Kind, key: list[Any]) -> dict[str, Any] | None:
        where = " AND ".join(f"[{k}] = ?" for k in kind.key)
        rows = self._query(f"SELECT * FROM [{kind.table}] WHERE {where}", key)
        return rows[0] if rows else None

    def _private(self, entry: _Entry) -> dict[str, Any]:
        rows = self._query("SELECT data FROM change_private WHERE change = ?", [entry.id])
        return json.loads(rows[0]["data"]) if rows else {}

    def _reverse(self, command: int, entry: _Entry, reason: str) -> int:
        kind = self._kind(entry.entity)
        assert kind is not None  # checked by _refuse
        key = self._key_values(kind, entry)
        label = _label(command, [entry])
        current = self._row(kind, key)
        record = f"{entry.entity} {entry.key}"
        conn = self.p.store.conn
        where = " AND ".join(f"[{k}] = ?" for k in kind.key)
        if entry.undo_of is not None:
            base = entry.summary.split(": ", 1)[-1]
            summary = f"redo of change {entry.undo_of} (undoing change {entry.id}): {base}"
        else:
            summary = f"undo of change {entry.id}: {entry.summary}"
        extra: dict[str, Any] = {"why": reason} if reason else {}
        try:
            if entry.action == "add":
                if current is None:
                    raise Conflict(f"cannot undo {label}: {record} is no longer there "
                                   f"(removed without a log entry?)")
                self._same(label, record, current,
                           {k: v for k, v in entry.data.items() if k != "why"})
                self._not_referenced(label, kind, key)
                conn.execute(f"DELETE FROM [{kind.table}] WHERE {where}", key)
                public, private = self._split(kind, current)
                return self.p.store.log("remove", entry.entity, entry.key, summary,
                                        {**public, **extra}, private=private, undo_of=entry.id)
            if entry.action == "remove":
                if current is not None:
                    raise Conflict(f"cannot undo {label}: {record} exists again; remove it first "
                                   f"or undo the change that added it")
                row = {k: v for k, v in entry.data.items() if k != "why"}
                row.update(self._private(entry))
                columns = self._columns(kind.table)
                row = {k: v for k, v in row.items() if k in columns}
                self._refs_exist(label, kind, row)
                conn.execute(f"INSERT INTO [{kind.table}] ({', '.join(f'[{c}]' for c in row)}) "
                             f"VALUES ({', '.join('?' for _ in row)})", list(row.values()))
                public, private = self._split(kind, row)
                return self.p.store.log("add", entry.entity, entry.key, summary,
                                        {**public, **extra}, private=private, undo_of=entry.id)
            # update or correct: put the fields back as they were
            if current is None:
                raise Conflict(f"cannot undo {label}: {record} is no longer there; "
                               f"undo its removal first")
            changed = entry.data.get("changed", {})
            before = {**entry.data.get("before", {}), **self._private(entry)}
            self._same(label, record, current, changed)
            missing = set(changed) - set(before)
            if missing or not before:
                raise Conflict(f"cannot undo {label}: the log does not hold what "
                               f"{', '.join(sorted(missing)) or 'it'} was before")
            self._refs_exist(label, kind, {**current, **before})
            sets = ", ".join(f"[{c}] = ?" for c in before)
            conn.execute(f"UPDATE [{kind.table}] SET {sets} WHERE {where}", [*before.values(), *key])
            now = {k: current.get(k) for k in before}
            public_now, private_now = self._split(kind, now)
            public_before, _ = self._split(kind, before)
            data = {"changed": public_before, "before": public_now,
                    "before_row": self._split(kind, current)[0], **extra}
            return self.p.store.log("update", entry.entity, entry.key, summary, data,
                                    private=private_now, undo_of=entry.id)
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"cannot undo {label}: {record} would break a rule of the "
                           f"database ({exc}); undo the later changes first") from None

    def _columns(self, table: str) -> set[str]:
        return {r[1] for r in self.p.store.conn.execute(f"PRAGMA table_info([{table}])")}

    def _split(self, kind: _Kind, row: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """``row`` as (public, private) fields of its model."""
        if kind.cls is None:
            return dict(row), {}
        fields = attrs.fields_dict(kind.cls)
        private = {k for k, a in fields.items() if a.metadata.get("private")}
        return ({k: v for k, v in row.items() if k not in private},
                {k: v for k, v in row.items() if k in private})

    def _same(self, label: str, record: str, current: dict[str, Any], expected: dict[str, Any]) -> None:
        for k, v in expected.items():
            if k in current and not _equal(current[k], v):
                raise Conflict(
                    f"cannot undo {label}: {record} was changed since without a log entry "
                    f"({k} is now {current[k]!r}, not {v!r}); correct it instead")

    def _refs_exist(self, label: str, kind: _Kind, row: dict[str, Any]) -> None:
        if kind.cls is None or not attrs.has(kind.cls):
            return
        conn = self.p.store.conn
        tables = self.p.registry.tables()
        for a in attrs.fields(kind.cls):
            target = a.metadata.get("ref")
            value = row.get(a.name)
            if not target or value is None or target not in tables:
                continue
            pk = entity_of(tables[target]).key[0]
            if not conn.execute(f"SELECT 1 FROM [{target}] WHERE [{pk}] = ?", [value]).fetchone():
                raise Conflict(
                    f"cannot undo {label}: it names {entity_of(tables[target]).label} '{value}', "
                    f"which is no longer there; undo its removal first")

    def _not_referenced(self, label: str, kind: _Kind, key: list[Any]) -> None:
        if kind.cls is None or len(kind.key) != 1:
            return
        hidden = self.p.registry.hidden_labels()
        conn = self.p.store.conn
        users: list[str] = []
        for table, cls in sorted(self.p.registry.tables().items(),
                                 key=lambda item: entity_of(item[1]).label not in hidden):
            ent = entity_of(cls)
            for a in attrs.fields(cls):
                if a.metadata.get("ref") != kind.table:
                    continue
                n = conn.execute(f"SELECT count(*) FROM [{table}] WHERE [{a.name}] = ?", key).fetchone()[0]
                if n and ent.label in hidden:
                    raise Conflict(
                        f"cannot undo {label}: {ent.label}s refer to it, which the change log "
                        f"holds as counts only (they are private)")
                if n:
                    users.append(f"{n} {ent.table}")
        if users:
            raise Conflict(f"cannot undo {label}: later records refer to {entity_of(kind.cls).label} "
                           f"'{key_text(key)}' ({', '.join(users)}); undo or remove those first")


def _rows(cursor: sqlite3.Cursor) -> Iterator[tuple[Any, ...]]:
    """The rows of ``cursor``, fetched a page at a time (the caller may stop early)."""
    while page := cursor.fetchmany(256):
        yield from page


def _equal(a: Any, b: Any) -> bool:
    if a == b:
        return True
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return float(a) == float(b)
    return isinstance(b, bool) and a == int(b)


def _label(command: int, entries: list[_Entry]) -> str:
    if len(entries) == 1 and entries[0].id == command:
        return f"change {command}"
    ids = [e.id for e in entries]
    if len(ids) == 1:
        return f"change {ids[0]}"
    return f"the command of changes {ids[0]} to {ids[-1]}"

