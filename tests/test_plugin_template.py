"""``partnership plugin new NAME`` writes a package that installs with pip and whose own
tests pass: the way a plugin author starts.

The package is installed into a fresh virtual environment (never the project's own,
where its entry point would load in every other test), which sees the project's
packages through a ``.pth`` file, so ``pip install --no-deps --no-build-isolation``
needs no network. The generated test file is then run with pytest inside that
environment, exactly as the package's README tells its author.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from click.testing import CliRunner

from partnership.cli import cli

FILES = ["pyproject.toml", "README.md", "src/partnership_wrong_way/__init__.py",
         "tests/test_partnership_wrong_way.py"]


def test_plugin_new_writes_a_package(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["plugin", "new", "wrong-way", "--directory", str(tmp_path)])
    assert result.exit_code == 0, result.output
    root = tmp_path / "partnership-wrong-way"
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == sorted(FILES)
    pyproject = (root / "pyproject.toml").read_text()
    assert '[project.entry-points.partnership]\nwrong-way = "partnership_wrong_way"' in pyproject
    assert "wrote the plugin package" in result.stderr and "pip install -e" in result.stdout
    for name in FILES:  # every placeholder was filled in
        assert "$" not in (root / name).read_text().replace("${", "")
    # the written code is valid Python
    for name in FILES[2:]:
        compile((root / name).read_text(), name, "exec")


def test_plugin_new_refuses_bad_names_and_existing_folders(tmp_path: Path) -> None:
    runner = CliRunner()
    for bad in ("Wrong Way", "9lives", "a--b"):
        result = runner.invoke(cli, ["plugin", "new", bad, "-d", str(tmp_path)])
        assert result.exit_code == 1
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "partnership-taken").mkdir()
    (tmp_path / "partnership-taken" / "mine.txt").write_text("keep me")
    result = runner.invoke(cli, ["plugin", "new", "taken", "-d", str(tmp_path)])
    assert result.exit_code == 1 and "already exists" in result.stderr
    assert [p.name for p in (tmp_path / "partnership-taken").iterdir()] == ["mine.txt"]
    result = runner.invoke(cli, ["plugin", "new", "fine", "-d", str(tmp_path / "nowhere")])
    assert result.exit_code == 1 and "is not a folder" in result.stderr
    (tmp_path / "partnership-linked").symlink_to(tmp_path / "partnership-taken")
    result = runner.invoke(cli, ["plugin", "new", "linked", "-d", str(tmp_path)])
    assert result.exit_code == 1 and "already exists" in result.stderr
    assert [p.name for p in (tmp_path / "partnership-taken").iterdir()] == ["mine.txt"]


def _venv_with_the_project(folder: Path) -> Path:
    """A fresh venv whose Python also sees this project's installed packages."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True,
                   timeout=120)
    python = folder / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True, timeout=60).stdout.strip()
    ours = sysconfig.get_path("purelib")
    # an import line, so the .pth files there (the editable install of partnership) are read too
    Path(site, "_project_packages.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    return python


@pytest.mark.slow
def test_the_generated_package_installs_and_its_own_tests_pass(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["plugin", "new", "wrong-way", "-d", str(tmp_path)])
    assert result.exit_code == 0, result.output
    root = tmp_path / "partnership-wrong-way"
    python = _venv_with_the_project(tmp_path / "venv")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PARTNERSHIP_LOAD_PLUGINS", "PARTNERSHIP_DB", "VIRTUAL_ENV")}
    env["PIP_NO_INDEX"] = "1"  # everything it needs is installed already: no network
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(root)],
        capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert install.returncode == 0, install.stdout + install.stderr
    # installed, the plugin loads in the partnership command of that environment
    listed = subprocess.run(
        [str(python), "-c", "from partnership.cli import main; main()", "plugins", "--verbose"],
        capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "wrong-way  (package partnership-wrong-way" in listed.stdout
    assert "scope: indicator" in listed.stdout
    # and the package's own tests pass, run as its README says (from a copy of the folder
    # without the source, so the installed package is what is tested)
    tests = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root / "tests")],
        capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert "4 passed" in tests.stdout
