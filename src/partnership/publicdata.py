"""What may be published: public tables, views and canned queries, registered by features.

Nothing is public unless a feature or plugin registers it through the
``register_public_data`` hook. A stored model is published with :meth:`PublicData.of_model`
(its fields marked :func:`partnership.models.private` never are); other working tables
are published column by column with ``copy=``; views and computed tables are SQL run on
the *public* database only, after the working file is detached.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from .errors import PartnershipError, PluginError

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
        ent = model.__entity__  # type: ignore[attr-defined]
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
                _check(item, _plugin, tables, is_builtin(pm, _plugin))
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
