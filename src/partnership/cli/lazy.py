"""The built-in commands as a static table, imported only when used.

``partnership --help`` lists every command without importing any feature's command
module (which import the library, attrs, cattrs and sqlite-utils): each command is
named here with the module that defines it and its one-line help. A command's module
is imported when the command is run (or its own ``--help`` is shown).

The table is checked against the commands the features really register through the
``register_commands`` hook (tests/test_cli_lazy.py): same names, same objects, same
help. When installed plugins (entry points) or plugin objects are in play, the command
is built the eager way instead, through the hooks, exactly as before.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, MutableMapping
from typing import Any

import click

from . import PartnershipGroup

#: command name -> ("module:attribute", its one-line help as ``--help`` shows it when the
#: terminal is wide enough). A new built-in command adds a line here.
COMMANDS: dict[str, tuple[str, str]] = {
    # the root's own (partnership.cli)
    "init": ("partnership.cli.core:init",
             "Create a new partnership database."),
    "about": ("partnership.cli.core:about",
              "Show the partnership's details, or change them."),
    "check": ("partnership.cli.core:check",
              "Check the partnership against the method."),
    "log": ("partnership.cli.core:log",
            "The change log: what changed, who, when."),
    "undo": ("partnership.cli.core:undo",
             "Undo the last command (or --change ID)."),
    "import": ("partnership.cli.exchange:import_",
               "Import a partnership, or records from a file."),
    "export": ("partnership.cli.exchange:export",
               "Export the partnership as YAML, JSON, .xlsx or CSV."),
    "demo": ("partnership.cli.exchange:demo",
             "Build a fictional partnership to explore."),
    "plugins": ("partnership.cli.exchange:plugins",
                "The plugins loaded, and the checks and metrics they add."),
    "plugin": ("partnership.cli.exchange:plugin", "Write a plugin of your own: 'plugin new NAME'."),
    "backup": ("partnership.cli.maintenance:backup",
               "Copy the database safely, even while others write."),
    "doctor": ("partnership.cli.maintenance:doctor",
               "Check the database file itself; repair its figures."),
    # partnership.outcomes
    "partner": ("partnership.cli.core:partner", "Organisations in the partnership."),
    "person": ("partnership.cli.core:person", "Members of partner organisations."),
    "outcome": ("partnership.cli.core:outcome",
                "Shared outcomes: changes for the people you help."),
    "stake": ("partnership.cli.core:stake",
              "Which partners have a stake in an outcome, and why."),
    "contribution": ("partnership.cli.core:contribution", "What each partner brings to each outcome."),
    # partnership.meetings
    "meeting": ("partnership.meetings.cli:meeting",
                "Meetings: only when needed, with only those needed."),
    "agenda": ("partnership.meetings.cli:agenda",
               "Crowd-sourced agendas: anyone can pitch an item."),
    "update": ("partnership.meetings.cli:update", "Written progress updates: the alternative to a meeting."),
    "updates": ("partnership.meetings.cli:updates",
                "What changed since the last meeting."),
    # partnership.health
    "pairs": ("partnership.health.cli:pairs",
              "Unmentoring: coffee pairs across organisations."),
    "assess": ("partnership.health.cli:assess",
               "Self-assessment: where we are, where we want to be."),
    "governance": ("partnership.health.cli:governance",
                   "The governance model, its questions and your answers."),
    # partnership.measurement
    "indicator": ("partnership.measurement.cli:indicator",
                  "Indicators: how progress toward an outcome is measured."),
    "activity": ("partnership.measurement.cli:activity",
                 "Activities: who is doing what, for which outcomes."),
    "observe": ("partnership.measurement.cli:observe",
                "Record an observation (or many with --csv FILE)."),
    "observation": ("partnership.measurement.cli:observation",
                    "One observation: correct or remove it."),
    "story": ("partnership.measurement.cli:story",
              "The story behind the curve: why a figure moves."),
    "status": ("partnership.measurement.cli:status",
               "Every outcome: its indicators, progress and status."),
    "refresh": ("partnership.measurement.cli:refresh",
                "Compute every metric, built-in and from plugins."),
    # partnership.gaps
    "need": ("partnership.gaps.cli:need",
             "What each outcome needs (step 3)."),
    "capacity": ("partnership.gaps.cli:capacity",
                 "What each partner can really give, across outcomes."),
    "gap": ("partnership.gaps.cli:gap",
            "What is done about a gap: seek, accept, fill, reopen."),
    "gaps": ("partnership.gaps.cli:gaps",
             "Every gap, its state, and the verdict per outcome."),
    # partnership.commitments
    "commit": ("partnership.commitments.cli:commit", "Record that PARTNER commits to WHAT by --due."),
    "commitment": ("partnership.commitments.cli:commitment",
                   "One commitment (like C-12): deliver, withdraw, correct."),
    "commitments": ("partnership.commitments.cli:commitments",
                    "List commitments with their status as of today."),
    "ledger": ("partnership.commitments.cli:ledger",
               "The trust ledger: who keeps their promises."),
    # partnership.reporting
    "publish": ("partnership.reporting.cli:publish",
                "Write the public database (only public data) to PATH."),
    "serve": ("partnership.reporting.cli:serve",
              "Publish, then serve the public dashboard."),
    "metadata": ("partnership.reporting.cli:metadata",
                 "Print the public site's Datasette metadata."),
    "report": ("partnership.reporting.boardpack.cli:report",
               "Write the board pack for a board meeting, as HTML or PDF."),
    # partnership.reminders
    "remind": ("partnership.reminders.cli:remind",
               "Remind each person of what they owe."),
    # partnership.spreadsheets
    "returns": ("partnership.spreadsheets.cli:returns",
                "Partner returns: workbooks partners fill in."),
    # partnership.inbox
    "inbox": ("partnership.inbox.cli:inbox",
              "What partners have sent, what it would change."),
    "invite": ("partnership.inbox.cli:invite", "Give a person a personal link to report for their partner."),
}


def help_width(max_width: int = 80) -> int:
    """The width click gives help text (the terminal's, at most ``max_width`` - 2, at least
    50), found as :func:`shutil.get_terminal_size` finds it (``COLUMNS``, then the terminal
    of standard output, else 80 columns) but without importing :mod:`shutil`, whose
    imports (bz2, lzma, zlib) are a tenth of ``partnership --help``."""
    import os
    import sys

    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns if sys.__stdout__ else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return max(min(columns or 80, max_width) - 2, 50)


def load(target: str) -> click.Command:
    """The command object named by ``"module:attribute"``."""
    module, _, attr = target.partition(":")
    command = getattr(importlib.import_module(module), attr)
    if not isinstance(command, click.Command):  # pragma: no cover - a wrong table line
        raise TypeError(f"{target} is not a click command")
    return command


class LazyGroup(PartnershipGroup):
    """The root group with the built-in commands of :data:`COMMANDS`, each imported when
    it is looked up; ``--help`` lists them from the table. ``commands`` (for code that
    walks every command) loads them all."""

    def __init__(self, *args: Any, lazy_commands: Mapping[str, tuple[str, str]] = COMMANDS,
                 **kwargs: Any) -> None:
        self._lazy = dict(lazy_commands)
        self._loaded: dict[str, click.Command] = {}
        self._complete = False
        super().__init__(*args, **kwargs)

    @property
    def commands(self) -> MutableMapping[str, click.Command]:
        self._register_the_rest()
        return self._loaded

    @commands.setter
    def commands(self, value: MutableMapping[str, click.Command]) -> None:
        self._loaded = dict(value)

    def _load(self, name: str) -> click.Command | None:
        if name not in self._loaded and name in self._lazy:
            self._loaded[name] = load(self._lazy.pop(name)[0])
        return self._loaded.get(name)

    def _register_the_rest(self) -> None:
        """Every command the features register through their hooks (the table's and any the
        table misses, such as a feature's new command not listed yet)."""
        if self._complete:
            return
        from partnership.plugins import get_plugin_manager

        from . import core, exchange, maintenance

        scratch = click.Group()
        for module in (core, exchange, maintenance):
            module.register(scratch)
        get_plugin_manager().hook.register_commands(cli=scratch)
        for name, command in scratch.commands.items():
            self._loaded.setdefault(name, command)
        self._lazy.clear()
        self._complete = True

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = self._load(cmd_name)
        if found is None:  # not in the table: ask the features themselves
            self._register_the_rest()
            found = self._loaded.get(cmd_name)
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self._loaded, *self._lazy})

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click's own, but a command not imported yet is shown from the table."""
        rows: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            if name in self._lazy:
                rows.append((name, click.Command(name, help=self._lazy[name][1])))
            elif not self._loaded[name].hidden:
                rows.append((name, self._loaded[name]))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in rows])
