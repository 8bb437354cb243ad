"""What every command gets: where the database is and which plugins to load."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from partnership.api import Partnership
    from partnership.registry import Registry


class Context:
    """What every command needs: where the database is and which plugins to load."""

    def __init__(self, db: str, plugins_dir: str | None, actor: str | None,
                 plugins: tuple[object, ...] = ()) -> None:
        self.db = db
        self.plugins_dir = plugins_dir
        self.actor = actor
        self.plugins = plugins

    def open(self) -> Partnership:
        from partnership.api import Partnership

        return Partnership.open(self.db, plugins_dir=self.plugins_dir, actor=self.actor,
                                plugins=self.plugins)

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
