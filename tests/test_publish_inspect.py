"""Publish gives Datasette the row counts (inspect data), so no page counts rows at
request time, and writes the public file compact."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

import partnership
from partnership.outfiles import OutputExists
from partnership.reporting.build import inspect_path, read_inspect
from partnership.reporting.serve import SERVED_NAME, make_datasette


def real_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        conn.close()


def test_the_inspect_file_holds_every_table_count_and_the_file(published) -> None:
    target, _result = published
    data = json.loads(inspect_path(target).read_text(encoding="utf-8"))
    entry = data[target.stem]
    assert {name: t["count"] for name, t in entry["tables"].items()} == real_counts(target)
    assert entry["size"] == target.stat().st_size
    import hashlib

    assert entry["hash"] == hashlib.sha256(target.read_bytes()).hexdigest()


def test_the_public_file_is_compact(published) -> None:
    target, _result = published
    conn = sqlite3.connect(target)
    try:
        assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        conn.close()
    assert not [f for f in target.parent.iterdir() if f.name.endswith(".publishing")]


@pytest.mark.slow
def test_datasette_is_given_the_counts_and_does_not_count(published) -> None:
    target, _result = published
    ds = make_datasette(target)
    db = ds.databases[SERVED_NAME]
    expected = real_counts(target)
    # the counts come from the inspect data: no query has run on the file yet
    assert db.cached_table_counts == expected

    async def pages() -> list[int]:
        await ds.invoke_startup()
        return [(await ds.client.get(path)).status_code
                for path in ("/", f"/{SERVED_NAME}", f"/{SERVED_NAME}/partners", f"/{SERVED_NAME}.json")]

    assert asyncio.run(pages()) == [200, 200, 200, 200]


def test_an_inspect_file_of_another_publish_is_ignored(published, tmp_path: Path) -> None:
    target, _result = published
    assert read_inspect(target, SERVED_NAME) is not None
    stale = json.loads(inspect_path(target).read_text(encoding="utf-8"))
    stale[target.stem]["published_at"] = "2001-01-01T00:00:00+00:00"
    inspect_path(target).write_text(json.dumps(stale), encoding="utf-8")
    assert read_inspect(target, SERVED_NAME) is None
    inspect_path(target).write_text("not json", encoding="utf-8")
    assert read_inspect(target, SERVED_NAME) is None
    inspect_path(target).unlink()
    assert read_inspect(target, SERVED_NAME) is None
    assert make_datasette(target).databases[SERVED_NAME].cached_table_counts is None


def test_an_unrelated_file_in_the_inspect_place_is_not_replaced(demo_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "public.db"
    mine = inspect_path(target)
    mine.write_text("my notes\n", encoding="utf-8")
    with partnership.open(demo_path) as p, pytest.raises(OutputExists):
        partnership.publish(p, target)
    assert mine.read_text(encoding="utf-8") == "my notes\n"
    assert not target.exists()
