"""Forgetting a person (``partnership person forget``): their details leave the file for good.

Checked on the bytes of the real files (the database, its write-ahead log, the inbox
file and its log), not only through queries: erased text must not survive in a free
page or an old log frame.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import partnership
from partnership.erasure import FORMER_NAME
from partnership.errors import Conflict, NotFound, ValidationError
from partnership.inbox import inboxdb

TODAY = "2026-10-31"
# details found nowhere else in the demo or the small partnership
NAME, EMAIL, PHONE = "Zebedee Quarrington", "zebedee.q@private.example.org", "07700 900461"


def raw_bytes(db: Path) -> bytes:
    """Everything on disk for the file ``db``: the file, its log and its inbox file."""
    found = b""
    for path in (db, Path(f"{db}-wal"), db.with_name(db.stem + ".inbox.db"),
                 Path(f"{db.with_name(db.stem + '.inbox.db')}-wal")):
        if path.exists():
            found += path.read_bytes()
    return found


def assert_gone(db: Path, *texts: str) -> None:
    data = raw_bytes(db).lower()
    for text in texts:
        assert text.lower().encode() not in data, f"{text!r} is still in the files of {db.name}"


@pytest.fixture
def demo(demo_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY)
    with partnership.open(demo_path) as p:
        yield p
        p.inbox.close()


def add_zebedee(p, partner: str) -> None:
    p.people.add(slug="zeb-q", name=NAME, partner=partner, role="Quarry liaison lead",
                 email=EMAIL, phone=PHONE)


def test_forgetting_erases_the_details_from_every_file_and_keeps_the_record(demo, demo_path):
    partner = demo.people.list()[0].partner
    add_zebedee(demo, partner)
    demo.people.update("zeb-q", email="old." + EMAIL)  # undo keeps the one before privately
    demo.people.update("zeb-q", email=EMAIL)
    ident = demo.commitments.commit(partner, "Run the Friday youth club", owner="zeb-q",
                                    due="2026-12-31").id
    indicator = next(r["slug"] for r in demo.inbox.scope()["indicators"] if r["partner"] == partner)
    demo.inbox.sync()
    demo.inbox.submit("zeb-q", "observation", {"indicator": indicator, "date": "2026-10-15",
                                              "value": 1, "source": "Club register", "note": ""})
    demo.inbox.close()
    assert NAME.encode() in raw_bytes(demo_path)

    result = demo.forget_person("zeb-q")

    assert result.new_slug == "former-member-1" and result.was_recorded and result.inbox
    assert result.references >= 1 and result.log_entries >= 3 and result.private_copies >= 2
    person = demo.people.get("former-member-1")
    assert (person.name, person.role, person.email, person.phone) == (FORMER_NAME, "", None, None)
    assert demo.commitments.get(ident).owner == "former-member-1"
    assert_gone(demo_path, NAME, EMAIL, PHONE, "zeb-q", "Quarry liaison lead")
    # the inbox: the old identifier is unknown there (its links are refused), the
    # submission is kept under the new one
    conn = inboxdb.connect(demo.inbox.path, readonly=True)
    try:
        assert inboxdb.version_of(conn, "zeb-q") is None
        assert inboxdb.version_of(conn, "former-member-1") is not None
        assert {r[0] for r in conn.execute("SELECT person FROM submissions")} >= {"former-member-1"}
    finally:
        conn.close()
    assert demo.check() is not None  # the file is still whole: every check runs
    assert sqlite3.connect(demo_path).execute("PRAGMA foreign_key_check").fetchall() == []


def test_forgetting_cannot_be_undone_nor_can_what_it_rewrote(small):
    small.forget_person("jo-bloggs")
    with pytest.raises(Conflict, match="cannot be undone"):
        small.undo()
    first = small.store.query("SELECT id FROM changes WHERE entity = 'person' ORDER BY id")[0]["id"]
    with pytest.raises(Conflict, match="later change"):
        small.undo(first)
    assert small.people.get("former-member-1").email is None


def test_a_person_removed_earlier_can_be_forgotten(p):
    p.partners.add(slug="police", name="Police", kind="police")
    add_zebedee(p, "police")
    p.people.update("zeb-q", phone="07700 900999")
    p.people.remove("zeb-q")
    assert p.store.query("SELECT count(*) AS n FROM change_private")[0]["n"] >= 2

    result = p.forget_person("zeb-q")

    assert not result.was_recorded and result.private_copies >= 2
    assert p.store.query("SELECT count(*) AS n FROM change_private")[0]["n"] == 0
    assert_gone(Path(p.store.path), NAME, EMAIL, PHONE, "07700 900999", "zeb-q")
    with pytest.raises(NotFound):
        p.people.get("former-member-1")  # removed stays removed


def test_only_that_person_is_touched(p):
    p.partners.add(slug="police", name="Police", kind="police")
    p.people.add(slug="jo", name="Jo", partner="police")
    p.people.add(slug="jo-bloggs", name="Jo Bloggs", partner="police", email="jb@example.org")
    p.forget_person("jo")
    assert p.people.get("jo-bloggs").email == "jb@example.org"
    assert p.people.get("jo-bloggs").name == "Jo Bloggs"
    summaries = [c["summary"] for c in p.store.query("SELECT summary FROM changes")]
    assert "person jo-bloggs (Jo Bloggs)" in summaries  # "Jo" is not found inside "Jo Bloggs"
    assert "person former-member-1 (Former member)" in summaries
    assert not any("(Jo)" in s or "person jo " in s for s in summaries)
    assert p.forget_person("jo-bloggs").new_slug == "former-member-2"


def test_changes_they_made_under_their_name_are_rewritten(p, tmp_path):
    p.partners.add(slug="police", name="Police", kind="police")
    add_zebedee(p, "police")
    path = Path(p.store.path)
    with partnership.open(path, actor=NAME) as as_them:  # 'partnership --as "Zebedee ..."'
        as_them.partners.add(slug="council", name="Council", kind="council")
    result = p.forget_person("zeb-q")
    actors = {r["actor"] for r in p.store.query("SELECT actor FROM changes")}
    assert NAME not in actors and FORMER_NAME in actors and result.log_entries >= 2
    assert_gone(path, NAME, EMAIL, PHONE)


def test_free_text_that_still_names_them_is_listed(small):
    small.partners.update("lancs-council", description="Ask Jo Bloggs about the PCSOs")
    result = small.forget_person("jo-bloggs")
    assert result.still_named == ["partners.description (1 row)"]


def test_bad_requests_change_nothing(small, unchanged):
    path = Path(small.store.path)
    small.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with unchanged(path):
        with pytest.raises(NotFound, match="did you mean 'jo-bloggs'"):
            small.forget_person("jo-blogs")
        with pytest.raises(ValidationError, match="identifier"):
            small.forget_person("Jo Bloggs")
    with unchanged(path), pytest.raises(ValidationError, match="no one was forgotten as former-member-1"):
        small.forget_person("former-member-1")
    small.forget_person("jo-bloggs")
    # run again on the new identifier: only the free space is cleared (as when the file was busy)
    again = small.forget_person("former-member-1")
    assert again.already and small.people.get("former-member-1").name == FORMER_NAME


def test_cli_asks_first_and_says_what_is_left(run, small):
    answer = run("person", "forget", "jo-bloggs", input="n\n")
    assert answer.exit_code == 1
    assert "nothing was changed" in answer.output and "Traceback" not in answer.output
    assert small.people.get("jo-bloggs").email == "jo@example.org"

    done = run("person", "forget", "jo-bloggs", "--yes")
    assert done.exit_code == 0, done.output
    assert "forgot jo-bloggs: they are former-member-1" in done.output
    assert "partnership publish" in done.output

    again = run("person", "forget", "jo-bloggs", "--yes")
    assert again.exit_code == 1 and again.output.startswith("Error: no person 'jo-bloggs'")
    assert len(again.output.strip().splitlines()) == 1


def test_cli_json(run, small):
    out = run("person", "forget", "jo-bloggs", "--yes", "--json")
    assert out.exit_code == 0
    data = json.loads(out.stdout)
    assert data["slug"] == "jo-bloggs" and data["new_slug"] == "former-member-1"
