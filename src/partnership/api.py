"""The library API: one :class:`Partnership` per database file.

>>> import partnership
>>> p = partnership.create("lancs.db", name="Lancaster Community Safety Partnership",
...                        governance="alliance")
>>> p.partners.add(slug="lancs-police", name="Lancashire Constabulary", kind="police")
>>> [f.message for f in p.check()]

Every write is one transaction and one or more change-log entries; every error a
user can cause is a :class:`~partnership.errors.PartnershipError` with a sentence.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from . import models
from .errors import AlreadyExists, NoDatabase, ValidationError
from .plugins import default_registry, get_plugin_manager
from .records import Collection, from_row, structure, to_row
from .registry import Registry
from .schema import Runner
from .store import Store, now_utc

if TYPE_CHECKING:
    import pluggy

    from .checks import Check, Finding
    from .commitments.service import Commitments
    from .erasure import Forgotten
    from .gaps.service import Gaps
    from .health.assess import Assessments
    from .health.governance import GovernanceQuestions
    from .health.pairs import Pairs
    from .history import History, UndoResult
    from .inbox.service import Inbox
    from .measurement.service import Measure
    from .meetings.service import Meetings
    from .meetings.updates import Updates
    from .reminders.service import Reminders
    from .reporting.boardpack.service import Report
    from .spreadsheets.returns import Returns

def today() -> dt.date:
    """Today's date, or ``$PARTNERSHIP_TODAY`` (for demos and tests with a fixed clock)."""
    fixed = os.environ.get("PARTNERSHIP_TODAY")
    if fixed:
        try:
            return dt.date.fromisoformat(fixed)
        except ValueError:
            raise ValidationError(
                f"PARTNERSHIP_TODAY must be a date written YYYY-MM-DD (got '{fixed}')") from None
    return dt.date.today()


class Partnership:
    """An open partnership database and everything that can be done with it."""

    def __init__(self, store: Store, *, registry: Registry | None = None,
                 clock: Callable[[], dt.date] | None = None) -> None:
        self.store = store
        self.registry = registry or default_registry()
        self._clock = clock or today
        store.hidden_entities = self.registry.hidden_labels

    @staticmethod
    def _registry(plugins_dir: str | os.PathLike[str] | None,
                  plugins: tuple[object, ...]) -> Registry:
        if plugins_dir is None and not plugins:
            return default_registry()
        return Registry(get_plugin_manager(plugins_dir, plugins=plugins))

    # -- life cycle -------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, actor: str | None = None,
             plugins_dir: str | os.PathLike[str] | None = None, plugins: tuple[object, ...] = (),
             clock: Callable[[], dt.date] | None = None) -> Partnership:
        """Open an existing partnership database (upgrading its schema if needed).

        ``plugins_dir`` and ``plugins`` add plugins to the built-in features and the
        installed ones; their migrations are applied on opening."""
        registry = cls._registry(plugins_dir, plugins)
        store = Store.open(path, actor=actor, migrations=Runner(registry.migration_sets))
        p = cls(store, registry=registry, clock=clock)
        if not store.is_initialised():
            store.close()
            raise NoDatabase(
                f"{store.path} holds no partnership yet; create one with 'partnership init NAME'")
        return p

    @classmethod
    def create(cls, path: str | os.PathLike[str] | None = None, *, name: str, purpose: str = "",
               governance: str | models.Governance = "other", actor: str | None = None,
               plugins_dir: str | os.PathLike[str] | None = None, plugins: tuple[object, ...] = (),
               clock: Callable[[], dt.date] | None = None, **kwargs: Any) -> Partnership:
        """Create a new partnership database at ``path`` (refused if one exists there)."""
        info = structure(models.Partnership,
                         {"name": name, "purpose": purpose, "governance": governance, **{
                             k: kwargs.pop(k) for k in ("licence", "licence_url", "website", "currency")
                             if k in kwargs}})
        registry = cls._registry(plugins_dir, plugins)
        store = Store.open(path, create=True, actor=actor, migrations=Runner(registry.migration_sets))
        try:
            if store.is_initialised():
                existing = store.query("SELECT name FROM partnership")[0]["name"]
                raise AlreadyExists(
                    "partnership database", store.path,
                    f"it already holds '{existing}'; use another --db path, or change it with "
                    f"'partnership about --name ...'")
            if kwargs:
                raise TypeError(f"unexpected arguments: {', '.join(sorted(kwargs))}")
            p = cls(store, registry=registry, clock=clock)
            with store.transaction():
                row = to_row(info)
                row.update(id=1, created_at=now_utc())
                store.db.table("partnership").insert(row)
                store.log("add", "partnership", "1", f"partnership created: {info.name}",
                          to_row(info))
        except BaseException:
            store.close()
            raise
        return p

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Partnership:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def today(self) -> dt.date:
        return self._clock()

    # -- the partnership itself ---------------------------------------------------

    def info(self) -> models.Partnership:
        return from_row(models.Partnership, self.store.query("SELECT * FROM partnership WHERE id = 1")[0])

    def update_info(self, **changes: Any) -> models.Partnership:
        """Change the partnership's name, purpose, governance model, licence or website."""
        with self.store.transaction():
            before = self.info()
            after = structure(models.Partnership, {**to_row(before), **changes})
            old, new = to_row(before), to_row(after)
            changed = {k: v for k, v in new.items() if old[k] != v}
            if changed:
                self.store.db.table("partnership").update(1, changed)
                self.store.log("update", "partnership", "1",
                               f"partnership: changed {', '.join(sorted(changed))}",
                               {"changed": changed, "before": {k: old[k] for k in changed},
                                "before_row": old})
            return after

    # -- collections ----------------------------------------------------------------

    @cached_property
    def partners(self) -> Collection[models.Partner]:
        return Collection(self, models.Partner)

    @cached_property
    def people(self) -> Collection[models.Person]:
        return Collection(self, models.Person)

    @cached_property
    def outcomes(self) -> Collection[models.Outcome]:
        return Collection(self, models.Outcome)

    @cached_property
    def stakes(self) -> Collection[models.Stake]:
        return Collection(self, models.Stake)

    @cached_property
    def contributions(self) -> Collection[models.Contribution]:
        return Collection(self, models.Contribution)

    @cached_property
    def gaps(self) -> Gaps:
        """Step 3: needs, gaps and their states, verdicts, honest capacity (see partnership.gaps)."""
        from .gaps.service import Gaps

        return Gaps(self)

    @cached_property
    def meetings(self) -> Meetings:
        """Step 5: propose, check, trim and record meetings (see partnership.meetings)."""
        from .meetings.service import Meetings

        return Meetings(self)

    @cached_property
    def updates(self) -> Updates:
        """Step 5: written progress updates, the alternative to meeting (public)."""
        from .meetings.updates import Updates

        return Updates(self)

    @cached_property
    def pairs(self) -> Pairs:
        """Unmentoring: opt in, draw pairs, record who met (see partnership.health.pairs)."""
        from .health.pairs import Pairs

        return Pairs(self)

    @cached_property
    def assess(self) -> Assessments:
        """Self-assessment: now, want, evidence and scores per area (see partnership.health.assess)."""
        from .health.assess import Assessments

        return Assessments(self)

    @cached_property
    def governance(self) -> GovernanceQuestions:
        """The governance model's key questions and answers (see partnership.health.governance)."""
        from .health.governance import GovernanceQuestions

        return GovernanceQuestions(self)

    @cached_property
    def measure(self) -> Measure:
        """Step 4: indicators, activities, observations, story notes and metrics
        (see partnership.measurement)."""
        from .measurement.service import Measure

        return Measure(self)

    @cached_property
    def inbox(self) -> Inbox:
        """Partners report for themselves: links, submissions, the lead's review (see partnership.inbox)."""
        from .inbox.service import Inbox

        return Inbox(self)

    @cached_property
    def returns(self) -> Returns:
        """Return workbooks: one per partner to fill in, read back into the inbox
        (see partnership.spreadsheets.returns)."""
        from .spreadsheets.returns import Returns

        return Returns(self)

    @cached_property
    def commitments(self) -> Commitments:
        """Commitments and the trust ledger (see partnership.commitments)."""
        from .commitments.service import Commitments

        return Commitments(self)

    @cached_property
    def reminders(self) -> Reminders:
        """Reminders of what each person owes, sent by email and recorded privately
        (see partnership.reminders)."""
        from .reminders.service import Reminders

        return Reminders(self)

    @cached_property
    def report(self) -> Report:
        """The board pack, as HTML or PDF (see partnership.reporting.boardpack)."""
        from .reporting.boardpack.service import Report

        return Report(self)

    def collection(self, cls: type) -> Collection[Any]:
        """The collection for any stored model class (used by import/export)."""
        return Collection(self, cls)

    def validate(self, model: Any) -> None:
        """Run the cross-record rules registered for ``type(model)``."""
        for fn in self.registry.rules_for(type(model)):
            fn(self, model)

    # -- change log -----------------------------------------------------------------

    def changes(self, *, since: str | None = None, entity: str | None = None,
                limit: int | None = None) -> list[models.Change]:
        """The change log, newest first; ``since`` is an ISO date or timestamp."""
        where, params = [], []
        if since:
            try:
                dt.date.fromisoformat(since[:10])
            except ValueError:
                raise ValidationError(
                    f"since must be a date written YYYY-MM-DD (got '{since}')") from None
            where.append("at >= ?")
            params.append(since)
        if entity:
            where.append("entity = ?")
            params.append(entity)
        sql = "SELECT * FROM changes"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [
            models.Change(**{**r, "data": json.loads(r["data"] or "{}")})
            for r in self.store.query(sql, params)
        ]

    @cached_property
    def history(self) -> History:
        """Undo from the change log (see partnership.history)."""
        from .history import History

        return History(self)

    def undo(self, change_id: int | None = None, *, reason: str = "") -> UndoResult:
        """Take back the last command, or the one that wrote change ``change_id``."""
        return self.history.undo(change_id, reason=reason)

    def forget_person(self, slug: str) -> Forgotten:
        """Erase a person's personal details everywhere this file (and its inbox) keeps
        them, for good: see :mod:`partnership.erasure`. It cannot be undone."""
        from .erasure import forget_person

        return forget_person(self, slug)

    # -- checks -----------------------------------------------------------------------

    @property
    def plugin_manager(self) -> pluggy.PluginManager:
        return self.registry.pm

    def checks(self, scope: str = "partnership") -> list[Check]:
        from .checks import collect_checks

        return [c for c in collect_checks(self.plugin_manager) if c.scope == scope]

    def check(self, *, scope: str = "partnership", options: dict[str, Any] | None = None) -> list[Finding]:
        """Run every check of ``scope`` (built-in and plugin) and return the findings."""
        from .checks import run_checks
        from .readonly import ReadOnlyView

        view = ReadOnlyView(self.store.conn, self.today(), options)
        return run_checks(self.store.conn, self.checks(scope), view, path=self.store.path)


def open(path: str | os.PathLike[str] | None = None, **kwargs: Any) -> Partnership:  # noqa: A001
    """Open the partnership database at ``path`` (default ``$PARTNERSHIP_DB`` or partnership.db)."""
    return Partnership.open(path, **kwargs)


def create(path: str | os.PathLike[str] | None = None, **kwargs: Any) -> Partnership:
    """Create a partnership database at ``path``; see :meth:`Partnership.create`."""
    return Partnership.create(path, **kwargs)
