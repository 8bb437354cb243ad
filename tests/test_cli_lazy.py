"""``partnership --help`` lists every command from a static table without importing the
features' command modules; the table matches what the features really register."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from partnership.cli import PartnershipGroup, make_cli
from partnership.cli.lazy import COMMANDS, LazyGroup, load
from partnership.plugins import entry_point_plugins_possible, get_plugin_manager


def eager_cli() -> click.Group:
    """The command built the eager way: every feature's ``register_commands`` hook."""
    from partnership.cli import core, exchange, maintenance

    group = PartnershipGroup("partnership", context_settings={"help_option_names": ["-h", "--help"]})
    for module in (core, exchange, maintenance):
        module.register(group)
    get_plugin_manager().hook.register_commands(cli=group)
    return group


def test_the_table_is_every_registered_command_with_its_help() -> None:
    eager = eager_cli()
    assert sorted(COMMANDS) == sorted(eager.commands), (
        "partnership.cli.lazy.COMMANDS must list every built-in command: "
        f"missing {sorted(set(eager.commands) - set(COMMANDS))}, "
        f"extra {sorted(set(COMMANDS) - set(eager.commands))}")
    for name, (target, short_help) in COMMANDS.items():
        assert load(target) is eager.commands[name], f"{name}: {target} is not the registered command"
        assert short_help == eager.commands[name].get_short_help_str(10**6), (
            f"{name}: the table's help differs from the command's; copy its first sentence")


@pytest.mark.parametrize("width", [60, 80, 200])
def test_help_is_the_same_as_the_eager_commands(width: int) -> None:
    lazy = make_cli()
    assert isinstance(lazy, LazyGroup)
    eager = eager_cli()
    eager.params, eager.help, eager.callback = lazy.params, lazy.help, lazy.callback
    runner = CliRunner()
    out_lazy = runner.invoke(lazy, ["--help"], terminal_width=width, prog_name="partnership")
    out_eager = runner.invoke(eager, ["--help"], terminal_width=width, prog_name="partnership")
    assert out_lazy.exit_code == 0, out_lazy.output
    assert out_lazy.stdout == out_eager.stdout
    for name in COMMANDS:
        assert f"\n  {name} " in out_lazy.stdout


def test_a_command_is_imported_only_when_used(tmp_path: Path) -> None:
    code = textwrap.dedent("""
        import sys
        from partnership.cli import main
        sys.argv = ["partnership", "--help"]
        try:
            main()
        except SystemExit:
            pass
        heavy = [m for m in ("partnership.gaps.cli", "partnership.cli.core", "partnership.api",
                             "importlib.metadata", "pluggy", "attrs", "sqlite_utils", "shutil")
                 if m in sys.modules]
        print("imported:", heavy, file=sys.stderr)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "imported: []" in out.stderr
    for name in COMMANDS:
        assert f"\n  {name} " in out.stdout, f"{name} missing from partnership --help"


def test_commands_run_and_typos_are_suggested(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "p.db")
    r = runner.invoke(make_cli(), ["--db", db, "init", "Test"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(make_cli(), ["--db", db, "gaps", "--json"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(make_cli(), ["--db", db, "gapz"])
    assert r.exit_code == 2 and "gap" in r.stderr


def test_plugins_make_the_command_eager() -> None:
    """With plugin objects (or installed entry points) the hooks build the command, so a
    plugin's commands are listed and run as before."""

    from partnership.hookspecs import hookimpl

    class Extra:
        __name__ = "extra"

        @hookimpl
        def register_commands(self, cli: click.Group) -> None:
            cli.add_command(click.Command("extra", help="An extra command.", callback=lambda: None))

    group = make_cli(plugins=(Extra(),))
    assert not isinstance(group, LazyGroup)
    assert "extra" in group.commands and "gaps" in group.commands


def test_entry_points_are_looked_for_only_where_they_can_be(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTNERSHIP_LOAD_PLUGINS", "somepkg")
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    assert not entry_point_plugins_possible()
    info = tmp_path / "somepkg-1.0.dist-info"
    info.mkdir()
    (info / "entry_points.txt").write_text("[console_scripts]\nx = y:z\n")
    assert not entry_point_plugins_possible()
    (info / "entry_points.txt").write_text("[console_scripts]\nx = y:z\n\n[partnership]\nrisks = r\n")
    assert entry_point_plugins_possible()
    monkeypatch.setenv("PARTNERSHIP_LOAD_PLUGINS", "")
    assert not entry_point_plugins_possible()


@pytest.mark.parametrize("columns", ["", "40", "60", "100", "300", "nonsense", "-5"])
def test_the_help_width_is_the_one_click_would_find(columns: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.formatting import HelpFormatter

    from partnership.cli.lazy import help_width

    if columns:
        monkeypatch.setenv("COLUMNS", columns)
    else:
        monkeypatch.delenv("COLUMNS", raising=False)
    assert help_width() == HelpFormatter().width
