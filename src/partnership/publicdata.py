"""What may be published: public tables, views and canned queries, registered by features.

Nothing is public unless a feature or plugin registers it through the
``register_public_data`` hook. A stored model is published with :meth:`PublicData.of_model`
(its fields marked :func:`partnership.models.private` never are); other working tables
are published column by column with ``copy=``; views and computed tables are SQL run on
the *public* database only, after the working file is detached.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from .errors import PartnershipError, PluginError
from .records import entity_of

if TYPE_CHECKING:
    import pluggy

    from .registry import Registry


class PublishError(PartnershipError):
    """The public database could not be written where it was asked for."""


@attrs.define(kw_only=True, frozen=True)
class PublicData:
    """A table or view of the public database (``register_public_data``).

    Exactly one of:

    - ``copy``: the named columns of the working table ``name``, copied as they are;
    - ``sql``: a SELECT run against the *public* database (never the working one):
      ``kind="view"`` creates a view, ``kind="table"`` stores the result as a table;
    - ``rows``: an iterable of dicts computed in Python, stored as a table.

    ``description`` and ``columns`` (column name -> one sentence) are shown on the
    public site. ``index`` lists columns to index when the data is stored as a table
    (``materialise=True`` stores a view's rows as a table at publish time, so a page is
    a read of an indexed table rather than a recomputation).
    """

    name: str
    kind: str = "view"
    sql: str | None = None
    rows: Iterable[dict[str, Any]] | None = None
    copy: tuple[str, ...] | None = None
    description: str = ""
    columns: Mapping[str, str] = attrs.field(factory=dict)
    #: other Datasette table settings for its page (``label_column``, ``sort_desc``, ...)
    options: Mapping[str, Any] = attrs.field(factory=dict)
    index: tuple[str, ...] = ()
    materialise: bool = False
    plugin: str = ""

    @classmethod
    def of_model(cls, model: type, *, description: str = "",
                 columns: Mapping[str, str] | None = None) -> PublicData:
        """The published copy of a stored model's table, without its private fields."""
        ent = entity_of(model)
        fields = tuple(a.name for a in attrs.fields(model) if not a.metadata.get("private"))
        return cls(name=ent.table, kind="table", copy=fields, description=description,
                   columns=dict(columns or {}))


@attrs.define(kw_only=True, frozen=True)
class PublicQuery:
    """A canned query of the public site (a page with its own address and title)."""

    name: str
    sql: str
    title: str = ""
    description: str = ""
    #: extra Datasette options for the query (e.g. ``hide_sql``), copied into the metadata
    options: Mapping[str, Any] = attrs.field(factory=dict)
    plugin: str = ""


def described(items: Iterable[PublicData], descriptions: Mapping[str, Mapping[str, Any]]
              ) -> list[PublicData]:
    """``items`` with their descriptions, columns and page options from ``descriptions``
    (table name -> ``{"description": ..., "columns": {...}, other options}``)."""
    out = []
    for item in items:
        found = dict(descriptions.get(item.name, {}))
        description = found.pop("description", item.description)
        columns = found.pop("columns", item.columns)
        out.append(attrs.evolve(item, description=description, columns=columns,
                                options={**item.options, **found}))
    return out


def collect_public_data(pm: pluggy.PluginManager, registry: Registry) -> list[PublicData | PublicQuery]:
    """Every public table, view and query registered through the hook, checked.

    A name may be registered once; a ``copy`` may not name a private field of a stored
    model, and may only be registered by a built-in feature for a table that is not a
    stored model (a plugin's own model tables are published with ``of_model``)."""
    from .plugins import is_builtin

    found: list[PublicData | PublicQuery] = []
    seen: dict[str, str] = {}
    tables = registry.tables()
    for impl in pm.hook.register_public_data.get_hookimpls():
        plugin_name = impl.plugin_name

        def register(item: PublicData | PublicQuery | None = None, /, _plugin: str = plugin_name,
                     **kwargs: Any) -> None:
            if item is None:
                item = PublicData(**kwargs)
            if not isinstance(item, (PublicData, PublicQuery)):
                raise PluginError(
                    f"plugin '{_plugin}' registered {item!r}, not a PublicData or PublicQuery; "
                    f"see docs/hooks.md")
            key = f"{type(item).__name__}:{item.name}"
            if key in seen:
                raise PluginError(
                    f"public '{item.name}' from plugin '{_plugin}' clashes with the one from "
                    f"'{seen[key]}'; rename one of them")
            if isinstance(item, PublicData):
                _check(item, _plugin, tables, is_builtin(_plugin))
            seen[key] = _plugin
            found.append(attrs.evolve(item, plugin=item.plugin or _plugin))

        try:
            impl.function(register=register)
        except PartnershipError:
            raise
        except Exception as exc:
            raise PluginError(
                f"plugin '{plugin_name}' failed in register_public_data ({type(exc).__name__}: "
                f"{exc}); fix it or remove it from the plugins") from None
    return found


def _check(item: PublicData, plugin: str, tables: dict[str, type], builtin: bool) -> None:
    if not item.name.replace("_", "").isalnum():
        raise PluginError(f"plugin '{plugin}' registered public data '{item.name}', which is not a "
                          f"plain table name; rename it")
    given = [x for x in (item.sql, item.rows, item.copy) if x is not None]
    if len(given) != 1:
        raise PluginError(f"plugin '{plugin}' registered '{item.name}' with "
                          f"{'none' if not given else 'more than one'} of sql, rows and copy")
    if item.copy is not None:
        model = tables.get(item.name)
        if model is not None:
            private = {a.name for a in attrs.fields(model) if a.metadata.get("private")}
            leaked = sorted(private.intersection(item.copy))
            if leaked:
                raise PluginError(f"plugin '{plugin}' would publish the private field(s) "
                                  f"{', '.join(leaked)} of {item.name}; leave them out")
        elif not builtin:
            raise PluginError(
                f"plugin '{plugin}' asked to copy the working table '{item.name}', which is not "
                f"a registered model; publish a model with PublicData.of_model, or use sql= "
                f"over public tables")


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


def private_field_names(models: Iterable[type]) -> dict[str, str]:
    """Every field marked private, lowercased, with what it is ('the email of a person')."""
    names: dict[str, str] = {}
    for cls in models:
        for a in attrs.fields(cls):
            if a.metadata.get("private"):
                label = entity_of(cls).label
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
    def read(cls, conn: sqlite3.Connection, models: Iterable[type]) -> PrivateDataGuard:
        """Collect the private values of the working database on ``conn``.

        A private field that refers to another row (an assessment's ``by`` names a person)
        holds a public slug: its column name is guarded, its values are not."""
        models = list(models)
        names = private_field_names(models)
        values: dict[str, str] = {}
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for model in models:
            table = entity_of(model).table
            if table not in tables:
                continue
            for a in attrs.fields(model):
                if not a.metadata.get("private") or a.metadata.get("ref"):
                    continue
                what = f"the {a.name} of a {entity_of(model).label}"
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
        # table_xinfo, unlike table_info, lists generated columns, which SELECT * returns too
        # (hidden 1 is a virtual table's hidden column, which SELECT * leaves out)
        columns = [r[1] for r in conn.execute(f"PRAGMA table_xinfo({quoted})") if r[6] != 1]
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
            for col, value in zip(columns, row, strict=True):
                if isinstance(value, str) or (value is not None and not isinstance(value, bytes)):
                    what = self._find(str(value))
                    if what:
                        return (f"has a private value ({what}) in column '{col}' of row {number}; "
                                f"leave it out")
        return None
