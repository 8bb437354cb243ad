"""What the features and plugins add, collected once from the hooks.

A :class:`Registry` is built from a plugin manager (:func:`partnership.plugins.get_plugin_manager`):
the built-in features of :mod:`partnership.features` and any third-party plugin, all
through the same ``register_*`` hooks of :mod:`partnership.hookspecs`. Nothing is
registered by importing a module; the registry is the only list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any

import attrs

from .errors import PluginError
from .models import Entity
from .records import entity_of

if TYPE_CHECKING:
    import pluggy

    from .api import Partnership
    from .publicdata import PublicData, PublicQuery

Rule = Callable[["Partnership", Any], None]
Migration = Callable[..., None]

#: the migration set of the built-in features (recorded in ``_sqlite_migrations``)
BUILTIN_SET = "partnership"


@attrs.define(frozen=True)
class MigrationSet:
    """Migrations recorded under one name: the built-ins, or one plugin's."""

    name: str
    migrations: tuple[tuple[str, Migration], ...]

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.migrations]


def _entity(cls: type, plugin: str) -> Entity:
    ent = getattr(cls, "__entity__", None)
    if not isinstance(ent, Entity):
        raise PluginError(
            f"plugin '{plugin}' registered {cls!r} as a model, but it has no @entity(...) "
            f"decorator saying where it is stored")
    return ent


class Registry:
    """Everything registered through the hooks of one plugin manager."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm

    # each part is collected on first use: opening a file needs only the migrations
    @cached_property
    def models(self) -> list[type]:
        """Stored models in the order an import applies them (referenced ones first)."""
        return self._collect_models()

    @cached_property
    def rules(self) -> dict[type, list[Rule]]:
        return self._collect_rules()

    @cached_property
    def migration_sets(self) -> list[MigrationSet]:
        return self._collect_migrations()

    @cached_property
    def demo_steps(self) -> list[Callable[[Partnership], None]]:
        return self._collect_demo()

    @cached_property
    def public(self) -> list[PublicData | PublicQuery]:
        """Public tables, views and canned queries, in the order they are created."""
        from .publicdata import collect_public_data

        return collect_public_data(self.pm, self)

    # -- collecting -------------------------------------------------------------

    def _each(self, hook_name: str, what: str, call: Callable[[Any, str], None]) -> None:
        """Call every implementation of one hook, turning a plugin's failure into a line."""
        hook = getattr(self.pm.hook, hook_name)
        for impl in hook.get_hookimpls():  # in registration order
            plugin = impl.plugin_name
            try:
                call(impl.function, plugin)
            except PluginError:
                raise
            except Exception as exc:
                raise PluginError(
                    f"plugin '{plugin}' failed while registering {what} ({type(exc).__name__}: "
                    f"{exc}); fix it or remove it") from None

    def _collect_models(self) -> list[type]:
        models: list[type] = []
        seen: dict[str, str] = {}

        def call(fn: Callable[..., None], plugin: str) -> None:
            def register(cls: type, *, before: type | None = None) -> None:
                ent = _entity(cls, plugin)
                if ent.table in seen:
                    raise PluginError(
                        f"model table '{ent.table}' from plugin '{plugin}' clashes with the one "
                        f"from '{seen[ent.table]}'; rename it")
                seen[ent.table] = plugin
                if before is not None and before in models:
                    models.insert(models.index(before), cls)
                else:
                    models.append(cls)

            fn(register=register)

        self._each("register_models", "models", call)
        return models

    def _collect_rules(self) -> dict[type, list[Rule]]:
        rules: dict[type, list[Rule]] = {}

        def call(fn: Callable[..., None], plugin: str) -> None:
            def register(cls: type, rule: Rule) -> None:
                if not callable(rule):
                    raise PluginError(f"plugin '{plugin}' registered a rule that is not a function")
                rules.setdefault(cls, []).append(rule)

            fn(register=register)

        self._each("register_rules", "rules", call)
        return rules

    def _collect_migrations(self) -> list[MigrationSet]:
        from .plugins import is_builtin
        from .schema import BUILTIN_ORDER

        by_set: dict[str, list[tuple[str, Migration]]] = {}

        def call(fn: Callable[..., None], plugin: str) -> None:
            set_name = BUILTIN_SET if is_builtin(plugin) else plugin

            def register(migration: Migration, *, name: str | None = None) -> None:
                found = by_set.setdefault(set_name, [])
                label = name or migration.__name__
                if any(label == n for n, _ in found):
                    raise PluginError(f"plugin '{plugin}' registered migration '{label}' twice")
                found.append((label, migration))

            fn(register=register)

        self._each("register_migrations", "migrations", call)
        core = dict(by_set.pop(BUILTIN_SET, []))
        missing = [n for n in BUILTIN_ORDER if n not in core]
        extra = [n for n in core if n not in BUILTIN_ORDER]
        if missing or extra:
            raise PluginError(
                f"the built-in migrations do not match schema.BUILTIN_ORDER (missing "
                f"{missing}, unlisted {extra}); list every built-in migration there, in order")
        sets = [MigrationSet(BUILTIN_SET, tuple((n, core[n]) for n in BUILTIN_ORDER))]
        return sets + [MigrationSet(name, tuple(found)) for name, found in by_set.items()]

    def _collect_demo(self) -> list[Callable[[Partnership], None]]:
        steps: list[tuple[int, Callable[[Partnership], None]]] = []

        def call(fn: Callable[..., None], plugin: str) -> None:
            def register(populate: Callable[[Partnership], None], *, order: int = 100) -> None:
                steps.append((order, populate))

            fn(register=register)

        self._each("register_demo", "demo steps", call)
        return [populate for _, populate in sorted(steps, key=lambda step: step[0])]

    # -- looking up -----------------------------------------------------------------

    def model(self, table: str) -> type:
        """The model stored in ``table``."""
        for cls in self.models:
            if entity_of(cls).table == table:
                return cls
        raise KeyError(table)

    def tables(self) -> dict[str, type]:
        """Every stored model by table name, in import order."""
        return {entity_of(cls).table: cls for cls in self.models}

    def sections(self) -> dict[str, type]:
        """Every stored model by the name of its section in an export file."""
        return {entity_of(cls).section: cls for cls in self.models}

    def hidden_labels(self) -> frozenset[str]:
        """Change-log names of the stored models that are not public (logged as counts)."""
        return self._hidden

    @cached_property
    def _hidden(self) -> frozenset[str]:
        from .changelog import non_public_labels

        return non_public_labels(self.models)

    def rules_for(self, cls: type) -> Iterable[Rule]:
        return self.rules.get(cls, ())
