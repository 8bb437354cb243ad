"""What may be published: the registry the public database is built from.

Nothing is public unless it is listed here or is a stored model (``@entity``) with
``public=True``; a model's fields marked :func:`partnership.models.private` are never
published. Feature modules add their derived tables and views at import time.
"""

from __future__ import annotations

import attrs

from .models import entities

#: extra tables that are not models (e.g. materialised metric values):
#: table name -> the columns that may be published
PUBLIC_TABLES: dict[str, tuple[str, ...]] = {
    # the change log without who made each change (login names are personal)
    "changes": ("id", "at", "action", "entity", "key", "summary"),
}

#: views created in the public database: name -> SELECT over public tables only
PUBLIC_VIEWS: dict[str, str] = {}


def public_tables() -> dict[str, tuple[str, ...]]:
    """Every table that may be published, with the columns that may be published."""
    import importlib

    from .records import FEATURE_MODEL_MODULES

    # feature modules register their models and PUBLIC_VIEWS when imported
    for module in FEATURE_MODEL_MODULES:
        importlib.import_module(module)
    tables: dict[str, tuple[str, ...]] = {}
    for table, cls in entities().items():
        ent = cls.__entity__
        if not ent.public:
            continue
        tables[table] = tuple(
            a.name for a in attrs.fields(cls) if not a.metadata.get("private")
        )
    tables.update(PUBLIC_TABLES)
    return tables
