"""The public file is compact, holds nothing deleted, and is private until complete (issue 19).

``publish`` copies the public tables into a scratch file, writes them into the public
file with one ``VACUUM INTO`` and then only adds to it (the findings, the news, the views
and the materialised tables), then renames it into place. These tests hold what that
must guarantee: the file is as compact as ``VACUUM`` makes it, nothing deleted while
building (log entries reduced to a count) is left in it, and nobody else can read it
before it is complete. And the news is worded with names read one at a time, which must
be the names ``read_names`` reads all at once.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
from pathlib import Path

import pytest

import partnership
from partnership import PublicData, hookimpl
from partnership.narrative import read_names, stories
from partnership.reporting.build import publish
from partnership.reporting.truth import PublicNames


def _observations(p, indicators: int, per_indicator: int) -> None:
    p.outcomes.add(slug="o", title="Fewer repeat victims", beneficiaries="Residents")
    start = dt.date(2020, 1, 1)
    for i in range(indicators):
        p.measure.add_indicator(f"ind-{i}", outcome="o", unit="n", direction="down", baseline=100,
                                baseline_date="2020-01-01", target=50, target_date="2024-01-01")
    rows = [(f"ind-{i}", (start + dt.timedelta(days=7 * k)).isoformat(), 100.0 - k % 17)
            for i in range(indicators) for k in range(per_indicator)]
    with p.store.conn:
        p.store.conn.executemany("INSERT INTO observations (indicator, date, value) VALUES (?, ?, ?)", rows)


def _pages(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA page_count").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.slow
def test_the_public_file_is_as_compact_as_vacuum_makes_it(small, tmp_path: Path) -> None:
    # 20,000 observations: hundreds of pages, where filling a table stored by its key row
    # by row leaves about an eighth of each page empty
    _observations(small, indicators=40, per_indicator=500)
    target = tmp_path / "public.db"
    publish(small, target)
    vacuumed = tmp_path / "vacuumed.db"
    conn = sqlite3.connect(target)
    try:
        conn.execute("VACUUM INTO ?", [str(vacuumed)])
        assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM observations").fetchone()[0] == 20_000
        # stored by its key, as in the working file (no second copy of the key beside it)
        assert conn.execute("SELECT wr FROM pragma_table_list('observations')").fetchone()[0] == 1
        # the query planner's statistics are there
        assert conn.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'observations'").fetchone()[0]
    finally:
        conn.close()
    assert _pages(target) <= _pages(vacuumed) + 2, (_pages(target), _pages(vacuumed))
    # and it is the same data as a copy of the working file's public columns
    pub = sqlite3.connect(target)
    try:
        published = pub.execute("SELECT indicator, date, value FROM observations").fetchall()
    finally:
        pub.close()
    assert published == small.store.conn.execute(
        "SELECT indicator, date, value FROM observations ORDER BY indicator, date").fetchall()


@pytest.mark.parametrize("entries", [3, 3000])  # rewritten within a page; pages emptied
def test_log_entries_reduced_to_a_count_leave_nothing_in_the_file(small, tmp_path: Path, entries) -> None:
    # a log written by an older version, with keys and summaries for pairings (not public):
    # publishing merges them into one count, deleting the rest while the file is built
    secret = "zq-secret-pair"
    with small.store.conn:
        small.store.conn.executemany(
            "INSERT INTO changes (at, actor, action, entity, key, summary, data) "
            "VALUES ('2026-01-02T10:00:00', 'lead', 'add', 'pairing', ?, ?, '{}')",
            [(f"2026-01/{secret}-{n}", f"paired {secret}-{n} with {secret}-{n + 1}") for n in range(entries)])
    target = tmp_path / "public.db"
    publish(small, target)
    conn = sqlite3.connect(target)
    try:
        rows = conn.execute("SELECT key, summary FROM changes WHERE entity = 'pairing'").fetchall()
        assert rows == [("-", f"{entries} pairings added")]
        assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
    finally:
        conn.close()
    assert secret.encode() not in target.read_bytes()


def test_the_file_is_readable_by_its_owner_only_until_it_is_complete(small, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    seen: list[tuple[str, int]] = []

    def modes():  # run while the public file is built (a plugin's rows are read then)
        for f in site.iterdir():
            if f.name.endswith(".publishing"):
                seen.append((f.name, stat.S_IMODE(f.stat().st_mode)))
        yield {"files": len(seen)}

    class Watcher:
        @hookimpl
        def register_public_data(self, register):
            register(PublicData(name="files_being_built", kind="table", rows=modes()))

    with partnership.open(small.store.path, plugins=(Watcher(),)) as p:
        publish(p, site / "public.db")
    assert seen and all(mode == 0o600 for _, mode in seen), seen
    assert any(".stage." not in name for name, _ in seen)  # the public file itself, being built
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((site / "public.db").stat().st_mode) == 0o666 & ~umask
    assert sorted(f.name for f in site.iterdir()) == [
        "public.db", "public.inspect.json", "public.metadata.yml"]  # (no scratch file left)


def test_names_read_one_at_a_time_are_the_names_read_all_at_once(published) -> None:
    target, _ = published
    conn = sqlite3.connect(target)
    try:
        every = read_names(conn)
        lazy = PublicNames(conn)
        assert set(lazy) == set(every)
        for kind, names in every.items():
            assert dict(lazy[kind]) == names, kind
            for key, name in names.items():
                assert lazy[kind].get(key) == name, (kind, key)
                if isinstance(key, int):
                    assert lazy[kind].get(str(key)) == name and lazy[kind].get(key) == name
            for missing in ("no-such-thing", "", 987654, "County-Police", "safer-night-time/"):
                assert lazy[kind].get(missing) == every[kind].get(missing), (kind, missing)
        assert every["commitment"] and every["need"]  # the demo has both kinds of key
        # and the same words for the whole log
        rows = [dict(zip(("id", "at", "action", "entity", "key", "summary"), r, strict=True))
                for r in conn.execute("SELECT id, at, action, entity, key, summary FROM changes")]
        assert rows
        told = [s.text for s in stories(rows, every, public=True, by_day=True)]
        assert [s.text for s in stories(rows, PublicNames(conn), public=True, by_day=True)] == told
    finally:
        conn.close()
