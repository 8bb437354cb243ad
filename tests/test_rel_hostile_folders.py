"""Options that name a folder to write several files into are hostile input too:
``returns make --all DIR`` (a workbook per partner) and ``plugin new -d DIR`` (a package).

DIR may be the database, its WAL, an unrelated file, a folder whose parent is missing, a
link to a folder, or a folder holding links planted at the names the command writes. Each
is refused in one line with the database exactly as it was, or written without touching
anything outside the files the command owns.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from partnership.cli import cli


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder: Path) -> list[str]:
    """The files of ``folder`` (SQLite removes an empty WAL when the database is closed)."""
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(("-wal", "-shm")))


@pytest.fixture
def place(demo_path, tmp_path):
    """The demo in a folder of its own, with a precious file elsewhere and some decoys."""
    folder = tmp_path / "work"
    folder.mkdir()
    db = folder / "w.db"
    db.write_bytes(demo_path.read_bytes())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("the only copy\n")
    (folder / "notes.txt").write_text("my own notes\n")
    return folder, db, elsewhere


def run(db: Path, *args: str):
    return CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)


def one_line_error(result) -> str:
    assert result.exit_code != 0
    text = result.output.strip()
    assert "Traceback" not in text and len(text.splitlines()) == 1, text
    return text


@pytest.mark.parametrize("kind", ["database", "wal", "unrelated-file", "missing-parent"])
def test_returns_for_all_refuse_a_folder_that_is_not_one(place, kind):
    folder, db, _ = place
    Path(f"{db}-wal").write_bytes(b"")  # as a live database has
    target = {"database": db, "wal": Path(f"{db}-wal"), "unrelated-file": folder / "notes.txt",
              "missing-parent": folder / "nowhere" / "returns"}[kind]
    before = digest(db), listing(folder)
    message = one_line_error(run(db, "returns", "make", "--all", str(target)))
    assert ("is a file, not a folder" in message) if kind != "missing-parent" else \
        ("does not exist" in message)
    assert (digest(db), listing(folder)) == before
    assert (folder / "notes.txt").read_text() == "my own notes\n"


def test_returns_for_all_never_write_through_a_planted_link(place):
    folder, db, elsewhere = place
    out = folder / "returns"
    out.mkdir()
    (out / "youth-trust-return.xlsx").symlink_to(elsewhere / "precious.txt")
    before = digest(db)
    message = one_line_error(run(db, "returns", "make", "--all", str(out)))
    assert "symbolic link" in message
    # every target is checked before any round is made: nothing written, nothing recorded
    assert digest(db) == before and sorted(p.name for p in out.iterdir()) == ["youth-trust-return.xlsx"]
    assert (elsewhere / "precious.txt").read_text() == "the only copy\n"


def test_returns_for_all_make_a_new_folder_and_write_into_a_linked_one(place):
    folder, db, elsewhere = place
    made = run(db, "returns", "make", "--all", str(folder / "new"))
    assert made.exit_code == 0, made.output
    assert len(list((folder / "new").glob("*-return.xlsx"))) == 8
    # a link to a folder is a folder the user chose: the workbooks go there, nothing else changes
    (folder / "linked").symlink_to(elsewhere, target_is_directory=True)
    assert run(db, "returns", "make", "--all", str(folder / "linked")).exit_code == 0
    assert len(list(elsewhere.glob("*-return.xlsx"))) == 8
    assert (elsewhere / "precious.txt").read_text() == "the only copy\n"


@pytest.mark.parametrize("kind", ["database", "unrelated-file", "missing"])
def test_plugin_new_refuses_a_folder_that_is_not_one(place, kind):
    folder, db, _ = place
    target = {"database": db, "unrelated-file": folder / "notes.txt", "missing": folder / "nowhere"}[kind]
    before = digest(db), listing(folder)
    message = one_line_error(run(db, "plugin", "new", "my-metric", "-d", str(target)))
    assert "not a folder" in message
    assert (digest(db), listing(folder)) == before


def test_plugin_new_never_writes_into_a_planted_package_folder(place):
    folder, db, elsewhere = place
    (folder / "partnership-my-metric").symlink_to(elsewhere, target_is_directory=True)
    message = one_line_error(run(db, "plugin", "new", "my-metric", "-d", str(folder)))
    assert "already exists" in message
    assert sorted(p.name for p in elsewhere.iterdir()) == ["precious.txt"]
