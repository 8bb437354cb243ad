"""Finding and loading plugins: built-ins, the ``partnership`` entry-point group, and
a directory of ``.py`` files (``--plugins-dir``).

Entry points are skipped under pytest (``sys._called_from_test``) and can be limited
with ``PARTNERSHIP_LOAD_PLUGINS`` (a comma-separated list of distribution names; an
empty value loads none).

This module is imported by ``partnership --help``: pluggy, the hookspecs and
:mod:`importlib.metadata` are imported only by the functions that need them, and
:func:`entry_point_plugins_possible` tells, without them, whether any entry point may exist.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from typing import TYPE_CHECKING, Any

from .features import BUILTIN_FEATURES

if TYPE_CHECKING:
    from pathlib import Path
    from types import ModuleType

    import pluggy

    from .registry import Registry

ENTRY_POINT_GROUP = "partnership"


def is_builtin(name: str) -> bool:
    """Whether the plugin registered as ``name`` is partnership's own code.

    By exact name: a plugin file or entry point called ``partnership.something`` is not a
    built-in (it is sandboxed like any other plugin), and one called like a built-in
    cannot be registered at all (the name is taken)."""
    return name in BUILTIN_FEATURES


def _entry_points_skipped() -> bool:
    return getattr(sys, "_called_from_test", False) and "PARTNERSHIP_LOAD_PLUGINS" not in os.environ


_GROUP_HEADER = re.compile(rb"^\s*\[\s*" + re.escape(ENTRY_POINT_GROUP.encode()) + rb"\s*\]", re.M)


def entry_point_plugins_possible() -> bool:
    """Whether a ``partnership`` entry point may be installed, without importing
    :mod:`importlib.metadata` (whose import and full scan of every distribution cost more
    than the rest of ``partnership --help``).

    Looks for the ``[partnership]`` section in the ``entry_points.txt`` of each
    ``*.dist-info`` / ``*.egg-info`` folder on ``sys.path`` (where the full scan finds
    them); a path entry that is a file (a zip) answers "maybe", so the full scan runs.
    False when entry points are not loaded at all (under tests, or
    ``PARTNERSHIP_LOAD_PLUGINS`` empty)."""
    if _entry_points_skipped():
        return False
    allowed = os.environ.get("PARTNERSHIP_LOAD_PLUGINS")
    if allowed is not None and not allowed.replace(",", "").strip():
        return False
    for entry in sys.path:
        folder = entry or "."
        try:
            names = os.listdir(folder)
        except NotADirectoryError:
            return True
        except OSError:
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(folder, name, "entry_points.txt"), "rb") as f:
                    text = f.read()
            except OSError:
                continue
            if _GROUP_HEADER.search(text):
                return True
    return False


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    if _entry_points_skipped():
        return
    import importlib.metadata

    from .errors import PluginError

    allowed = os.environ.get("PARTNERSHIP_LOAD_PLUGINS")
    names = None if allowed is None else {n.strip() for n in allowed.split(",") if n.strip()}
    for dist in importlib.metadata.distributions():
        for ep in dist.entry_points:
            if ep.group != ENTRY_POINT_GROUP:
                continue
            dist_name = dist.metadata["Name"]
            if names is not None and dist_name not in names:
                continue
            if pm.get_plugin(ep.name) is not None:
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                raise PluginError(
                    f"plugin '{ep.name}' from {dist_name} failed to load ({type(exc).__name__}: "
                    f"{exc}); fix or uninstall it, or set PARTNERSHIP_LOAD_PLUGINS to skip it"
                ) from None
            _register(pm, plugin, ep.name, f"the package {dist_name}")
            _DIST[ep.name] = dist_name


_DIST: dict[str, str] = {}


def _register(pm: pluggy.PluginManager, plugin: object, name: str, where: str) -> None:
    import pluggy

    from .errors import PluginError

    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin '{name}' in {where} is not valid: {exc}") from None
    except ValueError as exc:
        raise PluginError(f"plugin '{name}' in {where} could not be registered: {exc}") from None


def load_plugin_file(path: Path) -> ModuleType:
    """Import one ``.py`` file as a module, turning any failure into a one-line error."""
    import importlib.util
    import traceback

    from .errors import PluginError

    module_name = f"partnership_plugins_dir.{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"cannot load plugin file {path}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise PluginError(
            f"plugin file {path} has a syntax error at line {exc.lineno}: {exc.msg}; fix it "
            f"or move it out of the plugins directory"
        ) from None
    except Exception as exc:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
        line = f" at line {frames[-1].lineno}" if frames else ""
        raise PluginError(
            f"plugin file {path} failed to load{line} ({type(exc).__name__}: {exc}); fix it "
            f"or move it out of the plugins directory"
        ) from None
    return module


def get_plugin_manager(plugins_dir: str | os.PathLike[str] | None = None, *,
                       plugins: tuple[object, ...] = ()) -> pluggy.PluginManager:
    """A plugin manager with the hookspecs, the built-in features, entry points,
    ``plugins_dir`` and any plugin objects given (for tests and embedding)."""
    import pluggy

    from . import hookspecs
    from .errors import PluginError

    pm = pluggy.PluginManager("partnership")
    pm.add_hookspecs(hookspecs)
    for name in BUILTIN_FEATURES:
        _register(pm, importlib.import_module(name), name, "partnership itself")
    _load_entry_points(pm)
    if plugins_dir is not None:
        from pathlib import Path

        directory = Path(plugins_dir)
        if not directory.is_dir():
            raise PluginError(f"plugins directory {directory} does not exist; check --plugins-dir")
        for path in sorted(directory.glob("*.py")):
            if path.name.startswith("_"):
                continue
            module = load_plugin_file(path)
            _register(pm, module, path.stem, str(path))
    for plugin in plugins:
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        _register(pm, plugin, name, "code")
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(
            f"plugin '{pm.get_name(exc.plugin)}' implements an unknown hook ({exc}); "
            f"check the hook name against the plugin guide"
        ) from None
    return pm


_DEFAULT: list[Registry] = []


def default_registry() -> Registry:
    """The registry of the built-in features and installed plugins (built once)."""
    from .registry import Registry

    if not _DEFAULT:
        _DEFAULT.append(Registry(get_plugin_manager()))
    return _DEFAULT[0]


def plugin_source(pm: pluggy.PluginManager, name: str) -> str:
    """Where a registered plugin came from: 'built-in', a package name, or a file."""
    if is_builtin(name):
        return "built-in"
    if name in _DIST:
        return f"package {_DIST[name]}"
    plugin = pm.get_plugin(name)
    return getattr(plugin, "__file__", None) or "registered in code"


def plugin_fingerprint(pm: pluggy.PluginManager, name: str) -> str:
    """What identifies the code of plugin ``name`` as it is now, so figures it computed
    can be marked stale when it changes: ``package DIST VERSION`` for an installed package
    (the distribution's version), ``version V`` for a plugin object with a ``__version__``,
    and ``sha256:...`` of the file for a ``--plugins-dir`` file (or any plugin module with
    a file). Empty for the built-ins and for an object with neither (never marked stale)."""
    if is_builtin(name):
        return ""
    import hashlib
    from pathlib import Path

    plugin = pm.get_plugin(name)
    parts = []
    if name in _DIST:
        import importlib.metadata

        try:
            parts.append(f"package {_DIST[name]} {importlib.metadata.version(_DIST[name])}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"package {_DIST[name]} (uninstalled)")
    version = getattr(plugin, "__version__", None)
    if isinstance(version, str) and name not in _DIST:
        parts.append(f"version {version}")
    file = getattr(plugin, "__file__", None)
    if isinstance(file, str):
        try:
            parts.append("sha256:" + hashlib.sha256(Path(file).read_bytes()).hexdigest()[:16])
        except OSError:
            parts.append("file missing")
    return " ".join(parts)


#: what each kind of registration is called in ``describe_plugins``, with its collector.
#: Feature modules add entries: ``CONTRIBUTIONS["metrics"] = collect_metrics``.
CONTRIBUTIONS: dict[str, str] = {
    "checks": "partnership.checks:collect_checks",
    "metrics": "partnership.metrics:collect_metrics",
}


def describe_plugins(pm: pluggy.PluginManager) -> list[dict[str, Any]]:
    """Each plugin with its source and what it registers (checks, metrics, ...)."""
    adds: dict[str, dict[str, list[dict[str, str]]]] = {}
    for kind, target in CONTRIBUTIONS.items():
        module, _, attr = target.partition(":")
        collect = getattr(importlib.import_module(module), attr)
        for item in collect(pm):
            adds.setdefault(item.plugin, {}).setdefault(kind, []).append(
                {"name": item.name, "description": item.description})
    rows: list[dict[str, Any]] = []
    for name, _plugin in sorted(pm.list_name_plugin(), key=lambda np: (not is_builtin(np[0]), np[0])):
        rows.append({"name": name, "source": plugin_source(pm, name), "adds": adds.get(name, {})})
    return rows
