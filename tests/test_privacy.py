"""Privacy of the change log: entities that are not public leave counts only, on every path.

Who was paired with whom (``pairings``) and who opted in to unmentoring (``pair_members``)
are not public. Every change to them is logged without its key, without a summary beyond
a count and without data, whichever path wrote it (add, import, upsert, update, remove, a
service method that logs by itself), and the public ``changes`` table (and so the feed)
holds only counts for them, even for logs written with keys by an older version.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

import partnership
from partnership import exchange
from partnership.reporting.build import publish
from partnership.reporting.serve import make_datasette

PEOPLE = {"jo-bloggs": "police", "ben-clarke": "police", "sam-lee": "council",
          "priya-shah": "council", "tom-okafor": "fire", "ada-obi": "fire"}
PRIVATE_LABELS = ("pairing", "unmentoring member")
COUNT_ONLY = re.compile(r"^\d+ (pairings?|unmentoring members?) [a-z]+$")


def _club(p):
    for slug in ("police", "council", "fire"):
        p.partners.add(slug=slug, name=slug.title(), kind="other")
    for slug, partner in PEOPLE.items():
        p.people.add(slug=slug, name=slug.replace("-", " ").title(), partner=partner,
                     email=f"{slug}@example.org", phone=f"01524 00{len(slug):04d}")
        p.pairs.join(slug, on="2026-01-01")
    p.pairs.draw("2026-01", seed=3, on="2026-01-02")
    p.pairs.draw("2026-02", seed=4, on="2026-02-02")
    return p


@pytest.fixture
def club(p):
    return _club(p)


def secrets(p) -> tuple[list[str], list[str]]:
    """(pairing keys like '2026-01/jo-bloggs', every email and phone of the partnership)."""
    keys = [f"{r['round']}/{r['person']}" for r in p.store.query("SELECT round, person FROM pairings")]
    contacts = [v for r in p.store.query("SELECT email, phone FROM people") for v in r.values() if v]
    assert keys and contacts
    return keys, contacts


def assert_working_log_counts_only(p) -> None:
    rows = p.store.query(
        "SELECT key, summary, data FROM changes WHERE entity IN (?, ?)", list(PRIVATE_LABELS))
    assert rows
    for r in rows:
        assert r["key"] == "-", r
        assert COUNT_ONLY.match(r["summary"]), r
        assert set(json.loads(r["data"])) <= {"count"}, r


def public_cells(path: Path) -> dict[str, list[tuple[dict, str]]]:
    """Every table and view of a database: its rows, each with all its values as text."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    out = {}
    for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"):
        rows = [dict(r) for r in conn.execute(f'SELECT * FROM "{name}"')]
        out[name] = [(r, " ".join(str(v) for v in r.values())) for r in rows]
    conn.close()
    return out


def assert_public_file_has_no_pairs(path: Path, keys: list[str], contacts: list[str]) -> None:
    cells = public_cells(path)
    assert "pairings" not in cells and "pair_members" not in cells
    changes = cells["changes"]
    private = [r for r, _ in changes if r["entity"] in PRIVATE_LABELS]
    assert private, "the public log says, as counts, that pairings were made"
    for r in private:
        assert r["key"] == "-" and COUNT_ONLY.match(r["summary"]), r
    for name, rows in cells.items():
        for row, text in rows:
            for secret in keys + contacts:
                assert secret not in text, (name, row)
            # a person's slug may appear in their own public record and its log entries,
            # nowhere else (no table says who was paired or who opted in)
            if name == "people" or (name in ("changes", "latest_updates") and (
                    row.get("entity") == "person" or str(row.get("summary", "")).startswith("person "))):
                continue
            for slug in PEOPLE:
                assert slug not in text, (name, row)
    raw = path.read_bytes()
    for secret in keys + contacts:
        assert secret.encode() not in raw


def feed_text(path: Path, metadata: str | None) -> str:
    ds = make_datasette(path, metadata)
    r = asyncio.run(ds.client.get("/public/feed.atom"))
    assert r.status_code == 200
    return r.text


def assert_feed_has_no_pairs(text: str, keys: list[str], contacts: list[str]) -> None:
    entries = text.split("<entry>")[1:]
    assert any("pairing" in e for e in entries), "the feed tells that pairings were made"
    for entry in entries:
        for secret in keys + contacts:
            assert secret not in entry
        if "pairing" in entry or "unmentoring member" in entry:
            for slug in PEOPLE:
                assert slug not in entry, entry


# -- import of an export: the reported leak ---------------------------------------------------------


@pytest.mark.parametrize("fmt", [pytest.param("yaml", marks=pytest.mark.slow), "csv"])
def test_imported_pairs_never_reach_the_public_file_or_the_feed(club, tmp_path, fmt, migrated_template):
    keys, contacts = secrets(club)
    shutil.copyfile(migrated_template, tmp_path / "copy.db")  # the schema, pre-built
    target = partnership.create(tmp_path / "copy.db", name="Copy", governance="alliance")
    if fmt == "yaml":
        export = tmp_path / "export.yaml"
        export.write_text(exchange.dumps(exchange.export_data(club), "yaml"), encoding="utf-8")
        exchange.import_document(target, export)
    else:
        # the core rows first, then each unmentoring section from its own CSV file
        export = tmp_path / "export.yaml"
        data = exchange.export_data(club)
        core = {k: v for k, v in data.items() if not k.startswith("pair")}
        export.write_text(exchange.dumps(core, "yaml"), encoding="utf-8")
        exchange.import_document(target, export)
        for section in ("pair_members", "pair_rounds", "pair_groups", "pairings"):
            csv_file = tmp_path / f"{section}.csv"
            csv_file.write_text(exchange.export_csv(club, section), encoding="utf-8")
            exchange.import_csv(target, csv_file, section)
    assert secrets(target)[0] == keys
    assert_working_log_counts_only(target)
    public = tmp_path / "public.db"
    result = publish(target, public)
    target.close()
    assert_public_file_has_no_pairs(public, keys, contacts)
    assert_feed_has_no_pairs(feed_text(public, result.metadata_path), keys, contacts)


# -- every path that writes a non-public entity ------------------------------------------------------


def _add(p):
    p.collection(_pairing()).add(round="2026-02", number=1, person="ada-obi")


def _update(p):
    key = p.store.query("SELECT round, person FROM pairings LIMIT 1")[0]
    p.collection(_pairing()).update(key["round"], key["person"], number=2)


def _upsert(p):
    key = p.store.query("SELECT round, number, person FROM pairings LIMIT 1")[0]
    p.collection(_pairing()).upsert({**key, "number": key["number"] + 1})


def _remove(p):
    key = p.store.query("SELECT round, person FROM pairings LIMIT 1")[0]
    p.collection(_pairing()).remove(key["round"], key["person"])


def _leave(p):
    p.pairs.leave("sam-lee")


def _pause(p):
    p.pairs.pause("jo-bloggs", "2026-06-01")


def _pairing():
    from partnership.health.pairs import Pairing

    return Pairing


@pytest.mark.parametrize("change", [_add, _update, _upsert, _remove, _leave, _pause])
def test_every_path_logs_non_public_entities_as_counts(club, change):
    before = club.store.query("SELECT max(id) AS id FROM changes")[0]["id"]
    if change is _add:
        club.collection(_pairing()).remove(
            *club.store.query("SELECT round, person FROM pairings WHERE person = 'ada-obi' "
                              "AND round = '2026-02'")[0].values())
    change(club)
    rows = club.store.query("SELECT * FROM changes WHERE id > ? AND entity IN (?, ?)",
                            [before, *PRIVATE_LABELS])
    assert rows
    for r in rows:
        assert r["key"] == "-" and COUNT_ONLY.match(r["summary"]), r
        assert json.loads(r["data"]) == {"count": 1}
        assert not any(slug in r["summary"] for slug in PEOPLE)
    # the library's own reading of the log says the same
    for ch in club.changes(entity="pairing") + club.changes(entity="unmentoring member"):
        assert ch.key == "-" and set(ch.data) <= {"count"}


def test_public_entities_keep_their_keys_and_summaries(club):
    ch = club.changes(entity="person")[0]
    assert ch.key in PEOPLE and ch.summary.startswith("person ")
    rnd = club.changes(entity="unmentoring round")[0]
    assert rnd.key == "2026-02" and "6 people in 3 groups" in rnd.summary


# -- logs written with keys by an older version ------------------------------------------------------


def test_old_logs_with_keys_are_published_as_counts(club, tmp_path):
    keys, contacts = secrets(club)
    with club.store.transaction():
        for key in keys:
            club.store.conn.execute(
                "INSERT INTO changes (at, actor, action, entity, key, summary, data) "
                "VALUES ('2025-12-01T10:00:00+00:00', 'old', 'add', 'pairing', ?, ?, ?)",
                [key, f"pairing {key}",
                 json.dumps({"round": key.split("/")[0], "person": key.split("/")[1]})])
        club.store.conn.execute(
            "INSERT INTO changes (at, actor, action, entity, key, summary, data) "
            "VALUES ('2025-12-01T10:00:01+00:00', 'old', 'update', 'unmentoring member', "
            "'jo-bloggs', 'unmentoring member jo-bloggs: changed active', '{}')")
    public = tmp_path / "public.db"
    result = publish(club, public)
    assert_public_file_has_no_pairs(public, keys, contacts)
    conn = sqlite3.connect(public)
    old = conn.execute("SELECT action, entity, key, summary FROM changes "
                       "WHERE at LIKE '2025-12-01%' ORDER BY id").fetchall()
    conn.close()
    # the same-second run of old pairing entries is one count
    assert old == [("add", "pairing", "-", f"{len(keys)} pairings added"),
                   ("update", "unmentoring member", "-", "1 unmentoring member updated")]
    assert_feed_has_no_pairs(feed_text(public, result.metadata_path), keys, contacts)


# -- the documentation tells the truth about what is public ----------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start:end if end > 0 else None]


def test_dashboard_doc_lists_exactly_the_public_and_private_fields():
    """docs/dashboard.md lists every published column, and every private field of the models."""
    import attrs

    from partnership.plugins import default_registry
    from partnership.publicdata import PublicData

    registry = default_registry()

    def entities():
        return registry.tables()

    def public_tables():
        return {d.name: tuple(d.copy) for d in registry.public
                if isinstance(d, PublicData) and d.copy is not None}

    doc = _section((ROOT / "docs" / "dashboard.md").read_text(encoding="utf-8"),
                   "## What is public, and what never is")
    published = public_tables()
    listed = {}
    for table, columns in re.findall(r"^\| `(\w+)` \| ([^|]+) \|", doc, re.MULTILINE):
        listed[table] = tuple(re.findall(r"`(\w+)`", columns))
    assert listed == published, "the table of public columns in docs/dashboard.md is out of date"
    private = _section(doc, "### Private: never published")
    for table, cls in entities().items():
        if not cls.__entity__.public:
            assert f"`{table}`" in private, table
        for a in attrs.fields(cls):
            if a.metadata.get("private"):
                assert f"`{table}.{a.name}`" in private, (table, a.name)
    # every note, reason and free-text field that is published is said to be public
    public = _section(doc, "### Public: free text, including every note")
    for table, columns in published.items():
        for col in columns:
            if col in ("note", "reason", "evidence", "text", "output", "motivation", "now", "want"):
                assert f"`{table}.{col}`" in public, (table, col)


def test_readme_does_not_promise_private_notes():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    dashboard = (ROOT / "docs" / "dashboard.md").read_text(encoding="utf-8")
    for text in (readme, dashboard):
        assert "private notes" not in text.replace("\n", " ")
    assert "notes are public" in readme.replace("\n", " ")
