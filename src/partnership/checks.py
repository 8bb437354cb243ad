"""Checks: rules that read the partnership and report findings.

A check is registered through the ``register_checks`` hook, by the built-ins and by
plugins alike. It receives a :class:`~partnership.readonly.ReadOnlyView` and yields
:class:`Finding` objects. A check that raises or returns something else is reported
as a finding naming its plugin; the other checks still run.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import attrs
from attrs import define, field

from .errors import PluginError
from .readonly import PluginTimedOut, ReadOnlyView, Sandbox

__all__ = ["Severity", "Finding", "Check", "collect_checks", "run_checks"]


class Severity(enum.StrEnum):
    PROBLEM = "problem"
    WARNING = "warning"
    INFO = "info"

    def __str__(self) -> str:
        return self.value


def _severity(value: Any) -> Severity:
    return value if isinstance(value, Severity) else Severity(value)


@define(kw_only=True, frozen=True)
class Finding:
    """One thing a check found: which rule, about what, what is wrong, what to do."""

    rule: str
    subject: str
    message: str
    advice: str = ""
    severity: Severity = field(default=Severity.PROBLEM, converter=_severity)
    #: the step of the method it concerns (1-6), or 0 for none
    step: int = 0
    #: the check that produced it and the plugin that registered the check
    check: str = ""
    plugin: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = attrs.asdict(self)
        d["severity"] = self.severity.value
        return d


@define(kw_only=True, frozen=True)
class Check:
    """A named rule: ``run(view)`` returns an iterable of :class:`Finding`."""

    name: str
    description: str
    run: Callable[[ReadOnlyView], Iterable[Finding]]
    step: int = 0
    #: what the check looks at: "partnership" (run by ``partnership check``) or another scope
    scope: str = "partnership"
    plugin: str = ""


if TYPE_CHECKING:
    import pluggy

    class _Registration(attrs.AttrsInstance, Protocol):
        """What a ``register_*`` hook registers: an attrs instance with a name and a plugin."""

        @property
        def name(self) -> str: ...

        @property
        def plugin(self) -> str: ...


_R = TypeVar("_R", bound="_Registration")


def collect_registrations(hook: Any, cls: type[_R], what: str) -> list[_R]:
    """Call every implementation of a ``register_*`` hook with a ``register`` callback.

    Each registered object must be an instance of ``cls`` with a unique ``name``; it is
    returned with ``plugin`` set to the name of the plugin that registered it. Anything
    else, or a plugin that raises, is a :class:`PluginError` naming the plugin."""
    found: list[_R] = []
    seen: dict[str, str] = {}
    for impl in hook.get_hookimpls():
        plugin = impl.plugin_name

        def register(obj: Any, _plugin: str = plugin) -> None:
            if not isinstance(obj, cls):
                raise PluginError(
                    f"plugin '{_plugin}' registered {obj!r}, not a partnership.{cls.__name__}")
            if obj.name in seen:
                raise PluginError(
                    f"{what} '{obj.name}' from plugin '{_plugin}' clashes with the one from "
                    f"'{seen[obj.name]}'; rename one of them")
            seen[obj.name] = _plugin
            # mypy's attrs plugin evolves only concrete attrs classes, not a type variable
            found.append(attrs.evolve(obj, plugin=_plugin))  # type: ignore[misc]

        try:
            impl.function(register=register)
        except PluginError:
            raise
        except Exception as exc:
            raise PluginError(
                f"plugin '{plugin}' failed while registering {what}s ({type(exc).__name__}: "
                f"{exc}); fix it or remove it") from None
    return found


def collect_checks(pm: pluggy.PluginManager) -> list[Check]:
    """Every check registered through the hook, with the plugin that registered it."""
    return collect_registrations(pm.hook.register_checks, Check, "check")


def _findings_of(check: Check, view: ReadOnlyView) -> list[Finding]:
    produced = list(check.run(view))
    bad = [f for f in produced if not isinstance(f, Finding)]
    if bad:
        raise TypeError(f"returned {type(bad[0]).__name__}, not Finding")
    return produced


def run_checks(conn: Any, checks: Iterable[Check], view: ReadOnlyView, *,
               path: Any = None) -> list[Finding]:
    """Run each check read-only; a failing check becomes a finding, never an exception.

    Built-in checks run on ``conn``. A plugin's check always runs in a worker thread over
    a read-only connection of its own (:class:`~partnership.readonly.PluginConnections`:
    the file at ``path`` opened read-only, or a private copy of what ``conn`` sees when
    ``path`` is None or ``":memory:"`` or a transaction is open), so it cannot write
    whatever it does to that connection, and one that runs longer than
    :func:`~partnership.readonly.plugin_time_limit` seconds (an endless query or an endless loop) is abandoned
    and reported like a failing one, and ``check`` still finishes.
    """
    findings: list[Finding] = []
    sandbox = Sandbox(path, conn)
    for check in checks:
        def run(c: Any, check: Check = check) -> list[Finding]:
            return _findings_of(check, view if c is conn else ReadOnlyView(c, view.today, view.options))

        try:
            produced = sandbox.run(check.plugin, check.name, run)
        except Exception as exc:  # noqa: BLE001 - a failing check is reported, not raised
            why = str(exc) if isinstance(exc, PluginTimedOut) else f"{type(exc).__name__}: {exc}"
            findings.append(Finding(
                rule="check-failed",
                subject=f"plugin {check.plugin}",
                message=f"check '{check.name}' failed: {why}",
                advice="the other checks still ran; tell the plugin's author, or remove the plugin",
                severity=Severity.WARNING,
                check=check.name,
                plugin=check.plugin,
            ))
            continue
        # a new Finding per finding, named after its check (the constructor: attrs.evolve
        # reads the fields back one by one, a cost at tens of thousands of findings)
        findings.extend(
            Finding(rule=f.rule, subject=f.subject, message=f.message, advice=f.advice,
                    severity=f.severity, step=f.step or check.step, check=f.check or check.name,
                    plugin=check.plugin)
            for f in produced
        )
    order = {Severity.PROBLEM: 0, Severity.WARNING: 1, Severity.INFO: 2}
    findings.sort(key=lambda f: (f.step, order[f.severity], f.rule, f.subject))
    return findings
