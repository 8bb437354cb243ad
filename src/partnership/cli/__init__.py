"""The ``partnership`` command: parse, call the library, print.

It holds no business rules. Library errors (:class:`PartnershipError`) become one
line on stderr and a non-zero exit. Heavy imports happen inside commands, so
``partnership --help`` stays fast; Datasette is imported only by commands that serve
or publish.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from .context import Context as Context
from .context import pass_context as pass_context


def one_line(message: str) -> str:
    """Escape control characters (newlines, terminal escapes) that echoed input may hold."""
    import unicodedata

    return "".join(
        ch if ch == " " or not unicodedata.category(ch).startswith(("C", "Z"))
        else ch if unicodedata.category(ch) == "Zs"
        else ch.encode("unicode_escape").decode("ascii")
        for ch in message
    )


class PartnershipGroup(click.Group):
    """A group that turns library errors into one clear line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        import sqlite3  # here, not at the top: ``partnership --help`` never needs it

        from partnership.errors import PartnershipError

        try:
            return super().invoke(ctx)
        except PartnershipError as exc:
            raise click.ClickException(one_line(str(exc))) from None
        except click.exceptions.NoArgsIsHelpError:
            raise  # its message is the group's help, to be printed as it is
        except click.UsageError as exc:
            # click's own message quotes what was typed, which may hold control characters;
            # click marks it Final, but rewriting it in place keeps the error's own class
            # and formatting (BadParameter's hint, NoSuchOption's suggestions)
            exc.message = one_line(exc.message)  # type: ignore[misc]
            raise
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise click.ClickException(
                    "the database is busy with another long write; try again in a moment") from None
            if "readonly" in str(exc):
                raise click.ClickException(
                    f"this command needs to write, but the database file is read-only for you "
                    f"({exc}); nothing was changed: run it as the file's owner, or on a "
                    f"writable copy") from None
            raise click.ClickException(one_line(f"database error: {exc}")) from None
        except sqlite3.DatabaseError as exc:
            # doctor reports on such a file (each check that cannot run says so)
            raise click.ClickException(
                f"the database file is damaged ({exc}); run 'partnership doctor' to see what "
                f"is affected, and restore your latest backup") from None
        except OverflowError:
            # a number (an ID, a seed, a count) beyond SQLite's 64-bit integers; nothing
            # was written (the transaction it was in rolled back)
            raise click.ClickException(
                "a number given is too large (the largest is 9223372036854775807); "
                "check the figures and IDs you typed") from None


def make_cli(plugins: tuple[object, ...] = ()) -> click.Group:
    """The ``partnership`` command with the commands of every feature and plugin.

    Commands come from the ``register_commands`` hook of the built-in features and the
    installed plugins (``plugins`` adds more, for tests and embedding); the commands that
    look after the file itself are the root's own. Without plugins (no ``plugins`` and no
    installed ``partnership`` entry point), the built-in commands come from the static table
    of :mod:`partnership.cli.lazy` and each is imported when used, so ``--help`` is fast."""
    from partnership.plugins import entry_point_plugins_possible

    lazy = not plugins and not entry_point_plugins_possible()
    group_class: type[click.Group] = PartnershipGroup
    if lazy:
        from .lazy import LazyGroup

        group_class = LazyGroup

    @click.group(cls=group_class, context_settings={"help_option_names": ["-h", "--help"]})
    @click.option("--db", metavar="PATH", envvar="PARTNERSHIP_DB", default="partnership.db",
                  show_default=True, help="The partnership database file (or set PARTNERSHIP_DB).")
    @click.option("--plugins-dir", metavar="DIR", type=click.Path(),
                  help="Also load plugins from the .py files in DIR.")
    @click.option("--as", "actor", metavar="NAME", envvar="PARTNERSHIP_ACTOR",
                  help="Who is making changes, for the change log (default: your login name).")
    @click.version_option(package_name="partnership")
    @click.pass_context
    def cli(ctx: click.Context, db: str, plugins_dir: str | None, actor: str | None) -> None:
        """Record, check and openly report a partnership of organisations.

        Start with 'partnership init NAME', or try 'partnership demo demo.db'.
        Every command that reads has --json for scripts.
        """
        given = ctx.get_parameter_source("db") is not click.core.ParameterSource.DEFAULT
        ctx.obj = Context(db, plugins_dir, actor, plugins, db_given=given)

    if lazy:
        return cli
    from partnership.plugins import get_plugin_manager

    from . import core, exchange, maintenance

    for module in (core, exchange, maintenance):
        module.register(cli)
    get_plugin_manager(plugins=plugins).hook.register_commands(cli=cli)
    return cli


def __getattr__(name: str) -> Any:
    """``partnership.cli.cli``, the command with every installed feature, built on first use
    (so importing a feature's commands never builds the whole command first)."""
    if name == "cli":
        built = make_cli()
        globals()["cli"] = built
        return built
    raise AttributeError(f"module 'partnership.cli' has no attribute '{name}'")


def main() -> None:
    from .lazy import help_width

    try:
        make_cli().main(prog_name="partnership", terminal_width=help_width())
    except KeyboardInterrupt:
        click.echo("interrupted; nothing was written", err=True)
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
