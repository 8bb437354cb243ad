"""A ready plugin package to start from (``partnership plugin new NAME``).

:func:`write_package` writes ``partnership-NAME/``: a ``pyproject.toml`` with the entry
point in the ``partnership`` group, ``src/partnership_NAME/__init__.py`` with a metric and
a check to edit, ``tests/test_partnership_NAME.py`` (which runs as written once the
package is installed) and a README. The files are the ``*.tmpl`` files beside this
module, with ``$name``, ``$dist`` and ``$module`` filled in. Every file goes through
:mod:`partnership.outfiles` (temporary file and rename, never through a link).
"""

from __future__ import annotations

import os
import shutil
import string
from pathlib import Path

from partnership import outfiles
from partnership.errors import AlreadyExists, ValidationError

HERE = Path(__file__).parent

#: template file -> where it goes in the package (formatted with the names)
FILES: dict[str, str] = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "plugin.py.tmpl": "src/{module}/__init__.py",
    "test_plugin.py.tmpl": "tests/test_{module}.py",
}


def names(name: str) -> dict[str, str]:
    """The plugin's names: ``name`` (its metric and entry point), ``dist`` (the package to
    install) and ``module`` (the Python package)."""
    from partnership.validators import FieldProblem, check_slug

    try:
        check_slug("plugin name", name)
    except FieldProblem as exc:
        raise ValidationError(f"{exc}; e.g. 'partnership plugin new cost-per-person'") from None
    if not name[0].isalpha():
        raise ValidationError(f"plugin name {name!r} must start with a letter (it names a Python "
                              f"package); e.g. 'partnership plugin new cost-per-person'")
    base = name.removeprefix("partnership-")
    return {"name": base, "dist": f"partnership-{base}", "module": "partnership_" + base.replace("-", "_")}


def write_package(name: str, directory: str | os.PathLike[str] = ".") -> Path:
    """Write the package of plugin ``name`` in a new folder ``partnership-NAME`` inside
    ``directory``; return that folder. Refused if the folder exists (nothing is written)."""
    values = names(name)
    parent = Path(directory)
    root = parent / values["dist"]
    if not parent.is_dir():
        raise ValidationError(f"{parent} is not a folder; give an existing folder with --directory")
    if root.exists() or root.is_symlink():
        raise AlreadyExists("folder", str(root), "choose another plugin name or folder, or move it away")
    try:
        root.mkdir()
    except OSError as exc:
        raise outfiles.OutputFileError(
            f"cannot create the folder {root} ({exc.strerror}); choose another folder with "
            f"--directory") from None
    try:
        for template, target in FILES.items():
            text = string.Template((HERE / template).read_text(encoding="utf-8")).substitute(values)
            path = root / target.format(**values)
            path.parent.mkdir(parents=True, exist_ok=True)
            outfiles.write_output(path, text, private=False, what="a plugin file")
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)  # the folder is new: nothing else was in it
        raise
    return root
