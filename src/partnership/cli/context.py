"""What every command gets: where the database is and which plugins to load."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from partnership.api import Partnership
    from partnership.registry import Registry


class Context:
    """What every command needs: where the database is and which plugins to load."""

    def __init__(self, db: str, plugins_dir: str | None, actor: str | None,
                 plugins: tuple[object, ...] = (), *, db_given: bool = True) -> None:
        self.db = db
        self.plugins_dir = plugins_dir
        self.actor = actor
        self.plugins = plugins
        #: False when ``db`` is the default (no --db, no PARTNERSHIP_DB): the lead may not
        #: know a database is needed at all
        self.db_given = db_given

    def open(self) -> Partnership:
        from partnership.api import Partnership

        self.require_database()
        return Partnership.open(self.db, plugins_dir=self.plugins_dir, actor=self.actor,
                                plugins=self.plugins)

    def require_database(self) -> None:
        """Refuse, in one line saying how to start, when there is no database to open."""
        from partnership.errors import NoDatabase

        if self.db == ":memory:" or os.path.exists(self.db):  # not pathlib: --help imports this module
            return
        if self.db_given:
            raise NoDatabase(
                f"no partnership database at {self.db}; check the --db path (or PARTNERSHIP_DB), "
                f"or create it with 'partnership --db {self.db} init NAME'")
        raise NoDatabase(
            f"no partnership database in this folder ({self.db}); start one with "
            f"'partnership init \"Your partnership\"', or try the demo with "
            f"'partnership demo demo.db' then 'partnership --db demo.db status'")

    def create(self, **info: Any) -> Partnership:
        """Create the partnership database (refused if one exists) with these plugins."""
        from partnership.api import Partnership

        return Partnership.create(self.db, actor=self.actor, plugins_dir=self.plugins_dir,
                                  plugins=self.plugins, **info)

    def registry(self) -> Registry:
        """The features and plugins in use, without opening the database."""
        from partnership.api import Partnership

        return Partnership._registry(self.plugins_dir, self.plugins)


pass_context = click.make_pass_decorator(Context)
