"""The README's tour, run as written: every command a partnership lead copies from it works.

The tour is one story (a partnership is started, then each step adds to it), so its
``bash`` blocks are run in order against one fresh database, from a folder holding the
spreadsheets the tour names. Only ``serve`` (which runs until stopped) is left out; the
dashboard has its own tests.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from partnership.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

#: the tour's dates (a meeting in February 2026, commitments due in the spring) are in the future
TODAY = "2026-02-12"

#: the spreadsheets the tour imports, as a lead would have saved them
FILES = {
    "observations.csv": "indicator,date,value,source\n"
                        "repeat-victims,2025-10-01,390,Police.uk quarterly\n"
                        "repeat-victims,2026-01-01,371,Police.uk quarterly\n",
    "partners.csv": "slug,name,kind,description,website\n"
                    "lancs-fire,Lancashire Fire and Rescue,fire,,https://example.org\n",
    "contributions.csv": "outcome,partner,kind,description,amount,unit,additional\n"
                         "fewer-repeat-asb,lancs-fire,skills,Home safety visits,40,visits,yes\n",
}

#: commands whose exit status 1 is an answer, not a failure
ANSWERS_WITH_STATUS = {("check",), ("meeting", "check", "board-2026-02")}


def tour_commands() -> list[list[str]]:
    start = README.index("## A tour for a partnership lead")
    end = README.index("\n## ", start + 1)
    commands = []
    for block in re.findall(r"^```bash\n(.*?)^```", README[start:end], re.M | re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            command: list[str] = []
            for word in words + ["&&"]:
                if word != "&&":
                    command.append(word)
                elif command:
                    commands.append(command)
                    command = []
    return commands


def test_the_tour_is_found():
    commands = tour_commands()
    assert len(commands) > 60
    assert all(c[0] == "partnership" for c in commands), [c for c in commands if c[0] != "partnership"]


@pytest.fixture
def lead_folder(tmp_path, monkeypatch):
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "plugins").symlink_to(ROOT / "plugins", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY)
    return tmp_path


@pytest.mark.slow
def test_every_command_of_the_tour_works_in_order(lead_folder):
    runner = CliRunner()
    ran = []
    for command in tour_commands():
        args = command[1:]
        if "serve" in args:
            continue
        result = runner.invoke(cli, args, catch_exceptions=False)
        ok = result.exit_code == 0 or (tuple(a for a in args if not a.startswith("-"))
                                       in ANSWERS_WITH_STATUS and result.exit_code == 1)
        assert ok, f"README command failed: {shlex.join(command)}\n{result.output[-600:]}"
        assert "Traceback" not in result.output
        ran.append(args[0])
    # the story reached its end: the public file and the copy exist, with what was added
    assert (lead_folder / "public.db").exists() and (lead_folder / "copy.db").exists()
    assert {"init", "need", "gap", "observe", "commit", "meeting", "pairs", "publish"} <= set(ran)
    listed = runner.invoke(cli, ["--db", "copy.db", "contribution", "list", "--json"])
    assert "Home safety visits" in listed.output
