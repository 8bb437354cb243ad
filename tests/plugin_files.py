"""Writing plugin folders for tests: ``plugin_dir(tmp_path, name=source, ...)``."""

from __future__ import annotations

import textwrap
from pathlib import Path


def plugin_dir(tmp_path: Path, **files: str) -> Path:
    """Write each ``name=source`` as ``tmp_path/plugins/name.py`` (dedented); return the folder."""
    directory = tmp_path / "plugins"
    directory.mkdir(exist_ok=True)
    for name, source in files.items():
        (directory / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return directory
