"""Every command block of README.md runs as written, in the order a reader meets it.

A partnership lead copies the README's commands one after another, so the test does the
same: in one fresh folder, after the README's set-up command (its first block, which
builds the demo), every block is run in order. THE CONVENTION, for whoever adds a README
section:

1. Every ```bash block is run, command by command: lines ending in ``\\`` are joined,
   ``&&`` separates commands, ``# comments`` are dropped. ```python blocks are run too
   (each in a fresh namespace, in the same folder). Other blocks (```json, plain ```
   for sample output) are not run.
2. Commands are ``partnership ...`` (``.venv/bin/partnership`` is the same); a leading
   ``NAME=value`` sets an environment variable, ``> FILE`` writes the output to FILE.
   Set-up the test environment has already done (making the venv, ``pip install``,
   ``source .venv/bin/activate``, running pytest) is in :data:`SETUP_DONE` and skipped.
   Anything else fails: make it a ``partnership`` command, or add it to SETUP_DONE
   with the reason.
3. Use names that exist at that point of the README: the tour's own (``lancs-police``,
   ``fewer-repeat-asb`` ... in ``partnership.db``), or the demo's with ``--db demo.db``
   (the set-up command built ``demo.db``: do not build it again without ``--force``).
4. A command that runs until stopped (any ``... serve``) is run for real, on a free port
   on 127.0.0.1 (its ``--port`` is replaced), until its home page answers; then stopped.
5. A command that sends mail (``--smtp HOST[:PORT]``) sends to a real SMTP server
   (aiosmtpd) on a free port on 127.0.0.1 instead, which must receive at least one message.
6. A command whose exit status 1 is an answer (``check``, ``meeting check``, ``doctor``)
   is listed in :data:`ANSWERS_WITH_STATUS`; any other non-zero exit is a failure.
7. Files a block imports are made by the test (:data:`FILES`), as the lead would have
   saved them; add yours there.
8. A block that cannot run as written (a placeholder the reader must fill in) is
   preceded by ``<!-- readme-test: skip (why) -->``; the reason is required. Prefer a
   runnable example.

Every block is run even after one fails; the test then lists every failing block with its
line in README.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from partnership.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

#: the tour's dates (a meeting in February 2026, commitments due in the spring) are in the future
TODAY = "2026-02-12"

#: the spreadsheets the README imports, as a lead would have saved them
FILES = {
    "observations.csv": "indicator,date,value,source\n"
                        "repeat-victims,2025-10-01,390,Police.uk quarterly\n"
                        "repeat-victims,2026-01-01,371,Police.uk quarterly\n",
    "partners.csv": "slug,name,kind,description,website\n"
                    "lancs-fire,Lancashire Fire and Rescue,fire,,https://example.org\n",
    "contributions.csv": "outcome,partner,kind,description,amount,unit,additional\n"
                         "fewer-repeat-asb,lancs-fire,skills,Home safety visits,40,visits,yes\n",
    # as Excel saves "CSV UTF-8": a byte-order mark, title-case headers, Windows line ends
    "Our partners.csv": "\ufeffSlug,Name,Kind,Web site\r\n"
                        "northshire-council,Northshire County Council,Council,https://example.org\r\n"
                        "bay-health,Bay Health and Care NHS Trust,Health,\r\n",
}

#: commands (their leading words, options left out) whose exit status 1 is an answer
ANSWERS_WITH_STATUS = {("check",), ("meeting", "check"), ("doctor",)}

#: set-up the environment running this test has already done: (leading words, why skipped)
SETUP_DONE = {
    ("python3", "-m", "venv"): "the test runs in the project's venv",
    ("python", "-m", "venv"): "the test runs in the project's venv",
    (".venv/bin/pip", "install"): "the project is installed",
    ("pip", "install"): "the project is installed",
    ("source",): "the venv is active",
    (".venv/bin/python", "-m", "pytest"): "that is what is running this test",
    ("python", "-m", "pytest"): "that is what is running this test",
}

SKIP_MARK = re.compile(r"<!--\s*readme-test:\s*skip\s*\((?P<why>[^)]+)\)\s*-->\s*$")


@dataclass
class Block:
    line: int                      # the line of README.md where the block's code starts
    language: str
    code: str
    skip: str | None = None        # the reason given with the skip marker
    commands: list[list[str]] = field(default_factory=list)


def blocks(text: str = README) -> list[Block]:
    """The README's bash and python blocks, in order, with their commands."""
    found = []
    for m in re.finditer(r"^```(?P<lang>[a-z]*)\n(?P<code>.*?)^```", text, re.M | re.S):
        if m.group("lang") not in ("bash", "python"):
            continue
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = SKIP_MARK.search(before)
        block = Block(line=text.count("\n", 0, m.start("code")) + 1, language=m.group("lang"),
                      code=m.group("code"), skip=skip.group("why") if skip else None)
        if block.language == "bash":
            block.commands = split_commands(block.code)
        found.append(block)
    return found


def split_commands(code: str) -> list[list[str]]:
    commands = []
    for line in code.replace("\\\n", " ").splitlines():
        command: list[str] = []
        for word in shlex.split(line, comments=True) + ["&&"]:
            if word != "&&":
                command.append(word)
            elif command:
                commands.append(command)
                command = []
    return commands


def _starts(command: list[str], words: tuple[str, ...]) -> bool:
    return tuple(command[: len(words)]) == words


def _subcommand(args: list[str]) -> tuple[str, ...]:
    """The command's leading words without the root options (``--db X`` ...)."""
    words, i = [], 0
    while i < len(args):
        if args[i] in ("--db", "--plugins-dir", "--as"):
            i += 2
            continue
        if args[i].startswith("-"):
            break
        words.append(args[i])
        i += 1
    return tuple(words)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[int, list[object]]]:
    """A real SMTP server on loopback, collecting the messages it receives."""
    aiosmtpd = pytest.importorskip("aiosmtpd.controller")
    received: list[object] = []

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            received.append(envelope)
            return "250 OK"

    port = free_port()
    controller = aiosmtpd.Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def _with_option(args: list[str], option: str, value: str) -> list[str]:
    out, i = [], 0
    while i < len(args):
        if args[i] == option:
            i += 2
            continue
        if args[i].startswith(option + "="):
            i += 1
            continue
        out.append(args[i])
        i += 1
    return out + [option, value]


def run_serve(args: list[str], folder: Path, env: dict[str, str]) -> str | None:
    """Run a ``serve`` command for real until its home page answers; None if it did."""
    port = free_port()
    argv = [sys.executable, "-c", "from partnership.cli import main; main()",
            *_with_option(args, "--port", str(port))]
    proc = subprocess.Popen(argv, cwd=folder, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return f"serve stopped by itself (status {proc.returncode}): {proc.stdout.read()[-600:]}"  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                    return None
            except urllib.error.HTTPError:  # it answered (a site may want a link's token first)
                return None
            except OSError:
                time.sleep(0.2)
        return "serve's home page did not answer within 60 s"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Reader:
    """Runs the README's blocks as a reader would, in one folder."""

    folder: Path
    runner: CliRunner = field(default_factory=CliRunner)
    failures: list[str] = field(default_factory=list)
    ran: list[tuple[str, ...]] = field(default_factory=list)
    mail: list[object] = field(default_factory=list)

    def fail(self, block: Block, what: str, detail: str) -> None:
        self.failures.append(f"README.md line {block.line}: {what}\n    {detail.strip()[-700:]}")

    def run_block(self, block: Block) -> None:
        if block.skip is not None:
            return
        if block.language == "python":
            try:
                exec(compile(block.code, f"README.md:{block.line}", "exec"), {"__name__": "__readme__"})
            except Exception as exc:  # noqa: BLE001 - reported with the block's line
                self.fail(block, "python block", f"{type(exc).__name__}: {exc}")
            return
        for command in block.commands:
            if not self.run_command(block, command):
                return  # the rest of the block depends on this command

    def run_command(self, block: Block, command: list[str]) -> bool:
        shown = shlex.join(command)
        if any(_starts(command, words) for words in SETUP_DONE):
            return True
        env_vars = {}
        while command and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", command[0]):
            name, _, value = command.pop(0).partition("=")
            env_vars[name] = value
        output_file = None
        if ">" in command:
            at = command.index(">")
            output_file, command = command[at + 1], command[:at]
        if not command or command[0] not in ("partnership", ".venv/bin/partnership"):
            self.fail(block, shown, "not a partnership command: see the convention at the top "
                                    "of tests/test_readme_tour.py")
            return False
        args = command[1:]
        words = _subcommand(args)
        env = {**os.environ, **env_vars}
        if words[-1:] == ("serve",):
            problem = run_serve(args, self.folder, env)
            if problem:
                self.fail(block, shown, problem)
            self.ran.append(words)
            return problem is None
        with contextlib.ExitStack() as stack:
            if any(a == "--smtp" or a.startswith("--smtp=") for a in args):
                port, received = stack.enter_context(smtp_server())
                args = _with_option(args, "--smtp", f"127.0.0.1:{port}")
            else:
                received = None
            result = self.runner.invoke(cli, args, env=env_vars or None, catch_exceptions=True)
            if received is not None:
                self.mail.extend(received)
                if result.exit_code == 0 and not received:
                    self.fail(block, shown, "sent no mail to the test's SMTP server")
        answered = result.exit_code == 1 and any(words[: len(a)] == a for a in ANSWERS_WITH_STATUS)
        if result.exception and not isinstance(result.exception, SystemExit):
            import traceback

            detail = "".join(traceback.format_exception(result.exception))
            self.fail(block, shown, f"raised {detail}")
            return False
        if result.exit_code != 0 and not answered:
            self.fail(block, shown, f"exit status {result.exit_code}: {result.output}")
            return False
        if "Traceback" in result.output:
            self.fail(block, shown, f"printed a traceback: {result.output}")
        if output_file:
            Path(output_file).write_text(result.stdout, encoding="utf-8")
        self.ran.append(words)
        return True


def test_the_blocks_are_found():
    found = blocks()
    assert any("demo" in c for c in found[0].commands), "the first block is the set-up command (the demo)"
    commands = [c for b in found for c in b.commands]
    assert len(commands) > 60
    for b in found:
        assert b.skip is None or b.skip.strip(), f"README.md line {b.line}: a skip needs a reason"


def test_the_convention_is_applied():
    """The parser sees what a shell would: continuations, &&, comments, redirections."""
    assert split_commands('partnership a "b c" \\\n  --d e && partnership f   # note\n') == [
        ["partnership", "a", "b c", "--d", "e"], ["partnership", "f"]]
    assert _subcommand(["--db", "demo.db", "meeting", "check", "x", "--json"]) == ("meeting", "check", "x")
    text = "intro\n<!-- readme-test: skip (needs your own server) -->\n```bash\npartnership x\n```\n"
    assert blocks(text)[0].skip == "needs your own server"
    assert _with_option(["serve", "--port", "8001"], "--port", "9") == ["serve", "--port", "9"]


@pytest.fixture
def reader_folder(tmp_path, monkeypatch):
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "plugins").symlink_to(ROOT / "plugins", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY)
    for name in ("PARTNERSHIP_DB", "PARTNERSHIP_LOAD_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.mark.slow
def test_every_block_of_the_readme_runs_in_order(reader_folder):
    reader = Reader(reader_folder)
    for block in blocks():
        reader.run_block(block)
    assert not reader.failures, ("README blocks that do not run as written:\n"
                                 + "\n".join(reader.failures))
    # the story reached its end: the public file and the copy exist, with what was added
    assert (reader_folder / "public.db").exists() and (reader_folder / "copy.db").exists()
    assert {("init",), ("observe",), ("meeting", "check"), ("publish",), ("serve",)} <= {
        w[:2] if w[:1] == ("meeting",) else w[:1] for w in reader.ran}
    listed = reader.runner.invoke(cli, ["--db", "copy.db", "contribution", "list", "--json"])
    assert "Home safety visits" in listed.output
    # the tour mends a mistake: a figure corrected with a reason, removed, and put back by undo
    assert {("observation", "correct"), ("observation", "remove"), ("undo",)} <= {
        w[:2] if w[:1] == ("observation",) else w[:1] for w in reader.ran}
    log = json.loads(reader.runner.invoke(cli, ["log", "--entity", "observation", "--json"]).stdout)
    mended = [(c["action"], c["data"].get("why"), c["undo_of"] is not None) for c in log]
    assert ("correct", "typo in the police return", False) in mended
    assert ("remove", "not a quarterly figure", False) in mended
    assert ("add", None, True) in mended  # the undo of the removal
    shown = json.loads(reader.runner.invoke(cli, ["indicator", "show", "repeat-victims", "--json"]).stdout)
    assert ("2026-01-15", 356.0) in [(o["date"], o["value"]) for o in shown["observations"]]


def test_a_block_that_does_not_run_is_reported_with_its_line(reader_folder):
    """The runner fails on what a reader would hit: the demo built twice, a command that
    is not partnership's, an unknown name; and it goes on to the next block."""
    text = ("# Guide\n\n```bash\npartnership demo demo.db\n```\n\nThen:\n\n"
            "```bash\npartnership demo demo.db && partnership --db demo.db check\n```\n\n"
            "```bash\nrm -rf /\n```\n\n"
            "```bash\npartnership --db demo.db partner show nobody-here\n```\n\n"
            "<!-- readme-test: skip (a placeholder) -->\n```bash\npartnership partner show YOURS\n```\n")
    reader = Reader(reader_folder)
    for block in blocks(text):
        reader.run_block(block)
    assert [re.match(r"README.md line (\d+):", f).group(1) for f in reader.failures] == ["10", "14", "18"]
    assert "already exists" in reader.failures[0]
    assert "not a partnership command" in reader.failures[1]
    assert "nobody-here" in reader.failures[2]
