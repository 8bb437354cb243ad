"""Generic storage of models: add, get, list, update, remove and upsert, with checks.

A :class:`Collection` binds one attrs model (decorated with
:func:`partnership.models.entity`) to its table. It validates through the cattrs
converter, checks every reference before writing (so a wrong slug gets a sentence,
not a foreign-key error), and logs every change, leaving private fields out of the log.
A change to a model that is not public (``@entity(..., public=False)``) is logged as a
count only, by :meth:`partnership.store.Store.log` (the one place that rule lives).
"""

from __future__ import annotations

import datetime as dt
import enum
import typing
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from .errors import AlreadyExists, Conflict, NotFound, ValidationError
from .models import Entity
from .validators import build_stored

if TYPE_CHECKING:
    import sqlite3

    from .api import Partnership

#: a stored model: an attrs class (decorated with :func:`partnership.models.entity`)
T = TypeVar("T", bound=attrs.AttrsInstance)

def entity_of(cls: type) -> Entity:
    # set on the class by the @entity decorator, which the checker cannot see
    return cls.__entity__  # type: ignore[attr-defined,no-any-return]


def structure(cls: type[T], data: Any, what: str | None = None) -> T:
    """Validate plain data into a model (imports cattrs only when something is written)."""
    from .converter import structure as _structure

    return _structure(cls, data, what)


_FIELD_TYPES: dict[type, dict[str, type | None]] = {}


def _field_types(cls: type) -> dict[str, type | None]:
    """For each field, the enum class to rebuild or ``bool``, else None (cached)."""
    found = _FIELD_TYPES.get(cls)
    if found is None:
        attrs.resolve_types(cls)
        found = {}
        for a in attrs.fields(cls):
            found[a.name] = None
            for t in (a.type, *typing.get_args(a.type)):
                if isinstance(t, type) and issubclass(t, enum.Enum):
                    found[a.name] = t
                elif t is bool or t is dt.date:
                    found[a.name] = t
        _FIELD_TYPES[cls] = found
    return found


def from_row(cls: type[T], row: dict[str, Any]) -> T:
    """Rebuild a model from a stored row without cattrs (the fast read path)."""
    types = _field_types(cls)
    data = {}
    for name, kind in types.items():
        if name not in row:
            continue
        value = row[name]
        if kind is bool:
            value = bool(value)
        elif kind is dt.date and isinstance(value, str):
            value = dt.date.fromisoformat(value)
        elif kind is not None and value is not None:
            value = kind(value)
        data[name] = value
    # a stored row was valid when written: checks made stricter since (links, slugs) must
    # not stop an older file from opening; its next write is checked in full
    return build_stored(cls, data)


def to_row(obj: Any) -> dict[str, Any]:
    """A model as a dict of SQLite values (enums as text, booleans as 0/1)."""
    row = attrs.asdict(obj, recurse=False)
    for name, value in row.items():
        if isinstance(value, (dt.date, dt.datetime)):
            row[name] = value.isoformat()
        elif isinstance(value, enum.Enum):
            row[name] = value.value
        elif isinstance(value, bool):
            row[name] = int(value)
    return row


def public_data(cls: type, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` without the fields marked private: what the change log may hold."""
    fields = attrs.fields_dict(cls)
    return {k: v for k, v in row.items() if k not in fields or not fields[k].metadata.get("private")}


def private_data(cls: type, row: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``row`` marked private: kept apart for undo, never in the log itself."""
    fields = attrs.fields_dict(cls)
    return {k: v for k, v in row.items() if k in fields and fields[k].metadata.get("private")}


def with_reason(summary: str, reason: str) -> str:
    """A change-log summary with the reason a lead gave for the change (published)."""
    return f"{summary} (why: {reason})" if reason else summary


def _reason(reason: Any) -> str:
    if reason is None:
        return ""
    if not isinstance(reason, str):
        raise ValidationError(f"the reason must be text (got {reason!r})")
    return " ".join(reason.split())


def key_text(key: Iterable[Any]) -> str:
    return "/".join(str(k) for k in key)


class Collection(Generic[T]):
    """The stored rows of one model, as a library API."""

    def __init__(self, partnership: Partnership, cls: type[T]) -> None:
        self.p = partnership
        self.cls = cls
        self.entity = entity_of(cls)

    # -- helpers ----------------------------------------------------------------

    @property
    def _db(self) -> sqlite3.Connection:
        """The raw sqlite3 connection: reads must not need sqlite-utils (start-up time)."""
        return self.p.store.conn

    def _query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        return self.p.store.query(sql, params)

    def _key_of(self, obj: T | dict[str, Any]) -> tuple[Any, ...]:
        get = obj.get if isinstance(obj, dict) else lambda k: getattr(obj, k)
        return tuple(get(k) for k in self.entity.key)

    def _where(self) -> str:
        return " AND ".join(f"[{k}] = ?" for k in self.entity.key)

    def _from_row(self, row: dict[str, Any]) -> T:
        return from_row(self.cls, row)

    def _structure(self, obj: T | dict[str, Any] | None, fields: dict[str, Any]) -> T:
        if obj is None:
            data = {k: v for k, v in fields.items()}
        elif isinstance(obj, dict):
            data = {**obj, **fields}
        else:
            # mypy's attrs plugin evolves only concrete attrs classes, not a type variable
            return obj if not fields else attrs.evolve(obj, **fields)  # type: ignore[misc]
        return structure(self.cls, data)

    def check_refs(self, obj: T) -> None:
        """Raise :class:`NotFound` for any field naming a row that does not exist."""
        ents = self.p.registry.tables()
        for a in attrs.fields(self.cls):
            table = a.metadata.get("ref")
            value = getattr(obj, a.name)
            if not table or value is None:
                continue
            target = ents[table]
            label = entity_of(target).label
            pk = entity_of(target).key[0]
            if not self._db.execute(f"SELECT 1 FROM [{table}] WHERE [{pk}] = ?", [value]).fetchone():
                known = [r[0] for r in self._db.execute(f"SELECT [{pk}] FROM [{table}] ORDER BY 1")]
                raise NotFound(label, value, known)

    def exists(self, *key: Any) -> bool:
        return bool(self._db.execute(
            f"SELECT 1 FROM [{self.entity.table}] WHERE {self._where()}", list(key)
        ).fetchone())

    # -- reading ----------------------------------------------------------------

    def get(self, *key: Any) -> T:
        """The row with this key, or :class:`NotFound` (with a did-you-mean)."""
        rows = self._query(
            f"SELECT * FROM [{self.entity.table}] WHERE {self._where()}", list(key))
        if not rows:
            known: list[str] = []
            if len(self.entity.key) == 1:
                known = [str(r[0]) for r in self._db.execute(
                    f"SELECT [{self.entity.key[0]}] FROM [{self.entity.table}] ORDER BY 1")]
            raise NotFound(self.entity.label, key_text(key), known)
        return self._from_row(rows[0])

    def list(self, **where: Any) -> list[T]:
        """Every row, optionally filtered by equality on fields, in a stable order."""
        names = attrs.fields_dict(self.cls)
        for k in where:
            if k not in names:
                raise ValidationError(f"{self.entity.label} has no field '{k}' to filter on")
        clause = " AND ".join(f"[{k}] = ?" for k in where)
        sql = f"SELECT * FROM [{self.entity.table}]"
        if clause:
            sql += f" WHERE {clause}"
        sql += f" ORDER BY {self.entity.order_by}"
        return [self._from_row(r) for r in self._query(sql, [
            v.value if isinstance(v, enum.Enum) else v for v in where.values()])]

    def count(self) -> int:
        return int(self._db.execute(f"SELECT count(*) FROM [{self.entity.table}]").fetchone()[0])

    # -- writing ----------------------------------------------------------------

    def add(self, obj: T | dict[str, Any] | None = None, **fields: Any) -> T:
        """Validate and insert a new row; returns the stored model (with its id)."""
        model = self._structure(obj, fields)
        with self.p.store.transaction():
            return self._insert(model)

    def _insert(self, model: T) -> T:
        self.check_refs(model)
        self.p.validate(model)
        row = to_row(model)
        key = self._key_of(row)
        if None not in key and self.exists(*key):
            raise AlreadyExists(self.entity.label, key_text(key), self._exists_hint())
        auto = len(self.entity.key) == 1 and row.get(self.entity.key[0]) is None
        if auto:
            row.pop(self.entity.key[0])
        cursor = self._db.execute(
            f"INSERT INTO [{self.entity.table}] ({', '.join(f'[{c}]' for c in row)}) "
            f"VALUES ({', '.join('?' for _ in row)})",
            list(row.values()),
        )
        if auto:
            # (the attrs plugin again: T is a type variable)
            model = attrs.evolve(model, **{self.entity.key[0]: cursor.lastrowid})  # type: ignore[misc]
            row = to_row(model)
        key = self._key_of(row)
        self.p.store.log("add", self.entity.label, key_text(key), self.describe(model),
                         public_data(self.cls, row))
        return model

    def _exists_hint(self) -> str:
        if len(self.entity.key) == 1:
            return f"choose another slug, or change the existing {self.entity.label} with update"
        return f"change the existing {self.entity.label} with update instead"

    def update(self, *key: Any, **changes: Any) -> T:
        """Change some fields of an existing row (the key cannot change)."""
        for k in self.entity.key:
            if k in changes and changes[k] != key[self.entity.key.index(k)]:
                raise ValidationError(
                    f"the {k} of a {self.entity.label} cannot change; add a new one instead")
        with self.p.store.transaction():
            before = self.get(*key)
            data = {**to_row(before), **changes}
            data = {k: v for k, v in data.items()}
            model = structure(self.cls, data)
            return self._replace(before, model)

    def correct(self, key: tuple[Any, ...], changes: dict[str, Any], *, reason: str = "") -> T:
        """Like :meth:`update`, with the ``reason`` for the change kept in the log; the
        fields not in ``changes`` stay as they were. Refused when nothing would change."""
        for k in self.entity.key:
            if k in changes and changes[k] != key[self.entity.key.index(k)]:
                raise ValidationError(
                    f"the {k} of a {self.entity.label} cannot be corrected; remove it and "
                    f"add a new one instead")
        if not changes:
            raise ValidationError(
                f"say what to correct in {self.entity.label} {key_text(key)} (nothing was given)")
        with self.p.store.transaction():
            before = self.get(*key)
            model = structure(self.cls, {**to_row(before), **changes})
            if to_row(model) == to_row(before):
                raise ValidationError(
                    f"{self.entity.label} {key_text(key)} already has those values; nothing to correct")
            return self._replace(before, model, reason=reason, action="correct")

    def _replace(self, before: T, model: T, *, reason: str = "", action: str = "update") -> T:
        self.check_refs(model)
        self.p.validate(model)
        old, new = to_row(before), to_row(model)
        changed = {k: new[k] for k in new if new[k] != old.get(k)}
        if not changed:
            return model
        key = self._key_of(old)
        sets = ", ".join(f"[{c}] = ?" for c in changed)
        self._db.execute(
            f"UPDATE [{self.entity.table}] SET {sets} WHERE {self._where()}",
            [*changed.values(), *key],
        )
        shown = public_data(self.cls, changed)
        hidden = sorted(set(changed) - set(shown))
        reason = _reason(reason)
        summary = with_reason(f"{self.describe(model)}: changed {', '.join(sorted(changed))}", reason)
        before_values = {k: old.get(k) for k in changed}
        data: dict[str, Any] = {"changed": shown, "before": public_data(self.cls, before_values),
                                # the whole record as it was (its private fields apart, below)
                                "before_row": public_data(self.cls, old)}
        if hidden:
            data["private_fields_changed"] = hidden
        if reason:
            data["why"] = reason
        self.p.store.log(action, self.entity.label, key_text(key), summary, data,
                         private=private_data(self.cls, before_values))
        return model

    def remove(self, *key: Any, reason: str = "") -> T:
        """Delete a row; refused while other rows refer to it. The log keeps a copy (the
        private fields apart, for undo) and the ``reason``."""
        reason = _reason(reason)
        with self.p.store.transaction():
            model = self.get(*key)
            self._refuse_if_referenced(key)
            self._db.execute(f"DELETE FROM [{self.entity.table}] WHERE {self._where()}", list(key))
            row = to_row(model)
            data = public_data(self.cls, row)
            if reason:
                data = {**data, "why": reason}
            self.p.store.log("remove", self.entity.label, key_text(key),
                             with_reason(self.describe(model), reason), data,
                             private=private_data(self.cls, row))
            return model

    def _refuse_if_referenced(self, key: tuple[Any, ...]) -> None:
        if len(self.entity.key) != 1:
            return
        users = []
        for table, cls in self.p.registry.tables().items():
            for a in attrs.fields(cls):
                if a.metadata.get("ref") == self.entity.table:
                    n = self._db.execute(
                        f"SELECT count(*) FROM [{table}] WHERE [{a.name}] = ?", list(key)
                    ).fetchone()[0]
                    if n:
                        users.append(f"{n} {entity_of(cls).table}")
        if users:
            raise Conflict(
                f"{self.entity.label} '{key_text(key)}' is still used by {', '.join(users)}; "
                f"remove or move those first"
            )

    def upsert(self, obj: T | dict[str, Any]) -> str:
        """Insert, or update in place if the key exists: 'added', 'updated' or 'unchanged'."""
        model = self._structure(obj, {})
        key = self._key_of(model)
        with self.p.store.transaction():
            if None in key or not self.exists(*key):
                self._insert(model)
                return "added"
            before = self.get(*key)
            if to_row(before) == to_row(model):
                return "unchanged"
            self._replace(before, model)
            return "updated"

    # -- words ----------------------------------------------------------------

    def describe(self, model: T) -> str:
        """A short human description for the change log."""
        for name in ("title", "name", "description"):
            value = getattr(model, name, None)
            if value:
                return f"{self.entity.label} {key_text(self._key_of(model))} ({value})"
        return f"{self.entity.label} {key_text(self._key_of(model))}"
