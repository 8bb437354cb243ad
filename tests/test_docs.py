"""The README documents every command, and the commands it shows exist."""

from __future__ import annotations

import re
from pathlib import Path

import click

from partnership.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = README + "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md")))


def all_commands(group: click.Group = cli, prefix: str = "") -> list[str]:
    names = []
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        names.append(full)
        if isinstance(command, click.Group):
            names.extend(all_commands(command, full + " "))
    return names


def test_every_top_level_command_is_in_the_readme():
    missing = [c for c in cli.commands if f"partnership {c}" not in README
               and not re.search(rf"partnership (?:--[a-z-]+ \S+ )+{c}\b", README)]
    assert not missing, f"README never shows: {missing}"


def test_every_command_is_documented_somewhere():
    missing = [c for c in all_commands() if c.split()[-1] not in ("list", "show", "remove", "update")
               and f"partnership {c}" not in DOCS]
    assert not missing, f"undocumented commands: {missing}"


def test_readme_commands_exist():
    code = "\n".join(re.findall(r"^```[a-z]*\n(.*?)^```", README, re.M | re.S))
    shown = set(re.findall(r"^\s*(?:\.venv/bin/)?partnership (?:--[a-z-]+ \S+ )*([a-z-]+)", code, re.M))
    assert len(shown) > 20, "the README's code blocks were not found"
    unknown = shown - set(cli.commands)
    assert not unknown, f"README shows commands that do not exist: {unknown}"


def test_every_command_has_help():
    def walk(group: click.Group):
        for command in group.commands.values():
            assert command.help or command.short_help, f"{command.name} has no help"
            if isinstance(command, click.Group):
                walk(command)

    walk(cli)


def test_the_hooks_reference_covers_every_hook() -> None:
    """docs/hooks.md: every hook of partnership.hookspecs has its section, with its
    arguments, what it returns, an example implementing it, and a row in the summary table."""
    import inspect

    from partnership import hookspecs

    doc = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    hooks = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
             if name.startswith("register_")]
    assert len(hooks) >= 8
    sections = re.split(r"^## ", doc, flags=re.M)
    for hook in hooks:
        params = ", ".join(inspect.signature(getattr(hookspecs, hook)).parameters)
        section = next((s for s in sections if s.startswith(f"{hook}({params})\n")), None)
        assert section is not None, f"docs/hooks.md has no section '## {hook}({params})'"
        assert "**Arguments**" in section and "**Returns**" in section, (
            f"{hook}: say its arguments and what it returns")
        examples = re.findall(r"```python\n(.*?)```", section, re.S)
        assert any("@hookimpl" in e and f"def {hook}({params})" in e for e in examples), (
            f"{hook}: give an example implementing it")
        assert "Built-in use" in section, f"{hook}: name a built-in feature that uses it"
        assert f"| `{hook}` |" in doc, f"{hook}: add it to the summary table"
