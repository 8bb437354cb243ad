"""Printing for people (aligned tables) and for scripts (``--json``).

Kept free of library imports so ``partnership --help`` starts fast.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import shutil
from collections.abc import Iterable, Sequence
from typing import Any

import click


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "__attrs_attrs__"):
        import attrs

        return {k: _plain(v) for k, v in attrs.asdict(value, recurse=False).items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def emit_json(data: Any) -> None:
    """Print ``data`` as indented JSON (models, enums and dates made plain)."""
    click.echo(json.dumps(_plain(data), indent=2, ensure_ascii=False, default=str))


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value + 0.0:g}"  # -0.0 + 0.0 is 0.0: a file may hold a -0 stored earlier
    if isinstance(value, enum.Enum):
        return str(value.value)
    return " ".join(str(value).split())


def table(rows: Iterable[Any], columns: Sequence[tuple[str, str]], *, empty: str = "(none)") -> None:
    """Print rows (dicts or attrs models) as an aligned table fitted to the terminal."""
    data = [_plain(r) for r in rows]
    if not data:
        click.echo(empty)
        return
    headers = [h for _, h in columns]
    body = [[cell(r.get(k)) for k, _ in columns] for r in data]
    widths = [max(len(h), *(len(row[i]) for row in body)) for i, h in enumerate(headers)]
    total = shutil.get_terminal_size((120, 24)).columns
    # shrink the widest columns until the table fits (never below 12 characters)
    while sum(widths) + 2 * (len(widths) - 1) > total:
        widest = max(range(len(widths)), key=lambda i: widths[i])
        if widths[widest] <= 12:
            break
        widths[widest] -= 1

    def fit(text: str, width: int) -> str:
        return text if len(text) <= width else text[: max(width - 1, 0)] + "…"

    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for row in body:
        click.echo("  ".join(fit(c, w).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def done(message: str) -> None:
    """Confirm a write on stderr, keeping stdout for data."""
    click.echo(message, err=True)
