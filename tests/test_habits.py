"""Habits that keep the house in order: the linter and the type checker pass.

ruff (style, imports, likely bugs) over the whole tree and mypy in strict mode over the
library, with the settings in pyproject.toml. They run as tests so that the README's one
test command (and CI) fails when either does.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> list[str]:
    found = Path(sys.executable).parent / name
    if found.exists():
        return [str(found)]
    which = shutil.which(name)
    if which is None:
        pytest.fail(f"{name} is not installed; install the test extra: pip install -e '.[test]'")
    return [which]


def test_ruff_finds_nothing() -> None:
    out = subprocess.run([*_tool("ruff"), "check", "src", "tests", "bench", "plugins"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


@pytest.mark.slow
def test_mypy_strict_on_the_library() -> None:
    out = subprocess.run([*_tool("mypy")], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
