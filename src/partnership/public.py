"""What may be published: the registry the public database is built from.

Nothing is public unless it is listed here or is a stored model (``@entity``) with
``public=True``; a model's fields marked :func:`partnership.models.private` are never
published. Feature modules add their derived tables and views at import time.

Two more rules live here, each in one place:

* the change log holds only counts for entities that are not public, on every path
  (:func:`log_entry`, called by :meth:`partnership.store.Store.log`), and the public copy
  of the log is reduced the same way at publishing, for logs written before the rule
  (:func:`publish_changes`);
* what plugins publish is checked against the private fields, by column name and by
  value (:class:`PrivateDataGuard`).
"""

from __future__ import annotations

import sqlite3
from typing import Any

import attrs

from .models import entities

#: extra tables that are not models (e.g. materialised metric values):
#: table name -> the columns that may be published
PUBLIC_TABLES: dict[str, tuple[str, ...]] = {
    # the change log without who made each change (login names are personal)
    "changes": ("id", "at", "action", "entity", "key", "summary"),
}

#: views created in the public database: name -> SELECT over public tables only
PUBLIC_VIEWS: dict[str, str] = {}


def public_tables() -> dict[str, tuple[str, ...]]:
    """Every table that may be published, with the columns that may be published."""
    import importlib

    from .records import FEATURE_MODEL_MODULES

    # feature modules register their models and PUBLIC_VIEWS when imported
    for module in FEATURE_MODEL_MODULES:
        importlib.import_module(module)
    tables: dict[str, tuple[str, ...]] = {}
    for table, cls in entities().items():
        ent = cls.__entity__
        if not ent.public:
            continue
        tables[table] = tuple(
            a.name for a in attrs.fields(cls) if not a.metadata.get("private")
        )
    tables.update(PUBLIC_TABLES)
    return tables


# -- the change log: entities that are not public leave counts only --------------------------
#
# The one rule, used by every path that writes the log (``Store.log``) and by ``publish``
# for logs written before the rule existed: a change to an entity whose model is not
# public (``@entity(..., public=False)``, e.g. who was paired with whom) is logged with no
# key, a summary that is only a count ("1 pairing added") and no data but that count.

#: the key the change log holds for an entity that is not public
HIDDEN_KEY = "-"

_PAST = {"add": "added", "update": "updated", "remove": "removed", "import": "imported",
         "redraw": "redrawn", "correct": "corrected", "upsert": "updated"}

_LABELS: tuple[int, frozenset[str]] = (-1, frozenset())


def non_public_labels(*, load_features: bool = False) -> frozenset[str]:
    """The change-log names (``Entity.label``) of the stored models that are not public.

    Only models already imported are known; ``load_features=True`` imports every feature
    module first (publishing does, so an old log is judged against every model).
    """
    global _LABELS
    if load_features:
        import importlib

        from .records import FEATURE_MODEL_MODULES

        for module in FEATURE_MODEL_MODULES:
            importlib.import_module(module)
    known = entities()
    if _LABELS[0] != len(known):
        _LABELS = (len(known), frozenset(
            cls.__entity__.label for cls in known.values()  # type: ignore[attr-defined]
            if not cls.__entity__.public))  # type: ignore[attr-defined]
    return _LABELS[1]


def count_summary(label: str, action: str, count: int = 1) -> str:
    """'1 pairing added', '12 pairings added', '1 unmentoring member updated'."""
    past = _PAST.get(action) or (action + ("d" if action.endswith("e") else "ed"))
    return f"{count} {label}{'' if count == 1 else 's'} {past}"


def log_entry(action: str, entity: str, key: str, summary: str, data: dict[str, Any] | None,
              *, count: int = 1) -> tuple[str, str, dict[str, Any]]:
    """What the change log may hold of one change: ``(key, summary, data)``.

    Unchanged for a public entity; for one that is not public, the hidden key, a count
    and ``{"count": count}``, whatever the caller passed.
    """
    if entity in non_public_labels():
        return HIDDEN_KEY, count_summary(entity, action, count), {"count": count}
    return key, summary, dict(data or {})


def publish_changes(conn: sqlite3.Connection, source: str = "src") -> None:
    """Reduce the public copy of ``changes`` to counts for entities that are not public.

    Runs on the public database (``main``) while the working database is attached as
    ``source``, right after the copy. Entries logged before the rule (with keys and
    summaries) are rewritten too; entries of one kind, action and second are merged
    into one ("12 pairings added"), so an import of many rows is one line of the feed.
    """
    labels = sorted(non_public_labels(load_features=True))
    if not labels:
        return
    marks = ", ".join("?" for _ in labels)
    rows = conn.execute(
        f"""SELECT m.id, m.at, m.action, m.entity,
                   CASE WHEN json_valid(s.data) AND json_type(s.data, '$.count') = 'integer'
                        AND s.key = '{HIDDEN_KEY}'
                        THEN json_extract(s.data, '$.count') ELSE 1 END
            FROM main.changes m LEFT JOIN {source}.changes s ON s.id = m.id
            WHERE m.entity IN ({marks}) ORDER BY m.id""", labels).fetchall()
    merged: dict[tuple[str, str, str], list[int]] = {}
    counts: dict[tuple[str, str, str], int] = {}
    for ident, at, action, entity, count in rows:
        group = (at, action, entity)
        merged.setdefault(group, []).append(ident)
        counts[group] = counts.get(group, 0) + max(int(count), 0)
    for (at, action, entity), ids in merged.items():
        conn.execute("UPDATE main.changes SET key = ?, summary = ? WHERE id = ?",
                     [HIDDEN_KEY, count_summary(entity, action, counts[(at, action, entity)]), ids[0]])
        conn.executemany("DELETE FROM main.changes WHERE id = ?", [(i,) for i in ids[1:]])


# -- plugin data: checked against the private fields, by column and by value -------------------------
#
# A plugin's public tables and views (``register_public_data``) are checked before they are
# published: no column may be named like a private field, and no cell (nor a literal in a
# view's SQL) may hold a private value of the record, such as a person's email or phone.
# This guards against accidents (a plugin reading its own spreadsheet of contacts); a
# plugin is trusted Python code and could still write anything anywhere (docs/security.md).

#: private values shorter than this (after removing spaces) must match a whole cell;
#: longer ones are found anywhere in a cell's text
MIN_SUBSTRING = 6


def _normalise(text: str) -> str:
    return "".join(text.split()).casefold()


def private_field_names(*, load_features: bool = True) -> dict[str, str]:
    """Every field marked private, lowercased, with what it is ('the email of a person')."""
    if load_features:
        non_public_labels(load_features=True)
    names: dict[str, str] = {}
    for cls in entities().values():
        for a in attrs.fields(cls):
            if a.metadata.get("private"):
                label = cls.__entity__.label  # type: ignore[attr-defined]
                names.setdefault(a.name.casefold(), f"the {a.name} of a {label}")
    return names


@attrs.define
class PrivateDataGuard:
    """What plugin data may not hold: private field names, and the record's private values."""

    names: dict[str, str]
    #: normalised private value -> what it is ("the email of a person")
    values: dict[str, str]
    _pattern: Any = None

    @classmethod
    def read(cls, conn: sqlite3.Connection) -> PrivateDataGuard:
        """Collect the private values of the working database on ``conn``.

        A private field that refers to another row (an assessment's ``by`` names a person)
        holds a public slug: its column name is guarded, its values are not."""
        names = private_field_names()
        values: dict[str, str] = {}
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table, model in entities().items():
            if table not in tables:
                continue
            for a in attrs.fields(model):
                if not a.metadata.get("private") or a.metadata.get("ref"):
                    continue
                what = f"the {a.name} of a {model.__entity__.label}"  # type: ignore[attr-defined]
                for (value,) in conn.execute(
                        f'SELECT DISTINCT "{a.name}" FROM "{table}" WHERE "{a.name}" IS NOT NULL'):
                    norm = _normalise(str(value))
                    if norm:
                        values.setdefault(norm, what)
        return cls(names, values)

    def _find(self, text: str) -> str | None:
        norm = _normalise(text)
        if not norm:
            return None
        if norm in self.values:
            return self.values[norm]
        if self._pattern is None:
            import re

            long = sorted((v for v in self.values if len(v) >= MIN_SUBSTRING), key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in long)) if long else False
        if self._pattern:
            found = self._pattern.search(norm)
            if found:
                return self.values[found.group(0)]
        return None

    def problem(self, conn: sqlite3.Connection, name: str, sql: str | None = None) -> str | None:
        """Why the table or view ``name`` just created on ``conn`` must not be published
        (None if it may be). Tables are read in full; a view is not run (it reads only
        public tables, so only a literal in its SQL could carry a private value)."""
        quoted = '"' + name.replace('"', '""') + '"'
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({quoted})")]
        for col in columns:
            if str(col).casefold() in self.names:
                return (f"has a column '{col}', the name of a private field "
                        f"({self.names[str(col).casefold()]}); rename it or leave it out")
        kind = conn.execute("SELECT type FROM sqlite_master WHERE name = ?", [name]).fetchone()
        if kind and kind[0] == "view":
            what = self._find(sql or "") if self.values else None
            if what:
                return f"has SQL holding a private value ({what}); leave it out"
            return None
        if not self.values:
            return None
        for number, row in enumerate(conn.execute(f"SELECT * FROM {quoted}"), 1):
            for col, value in zip(columns, row):
                if isinstance(value, str) or (value is not None and not isinstance(value, bytes)):
                    what = self._find(str(value))
                    if what:
                        return (f"has a private value ({what}) in column '{col}' of row {number}; "
                                f"leave it out")
        return None
