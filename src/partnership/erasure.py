"""Forget a person: erase their personal details wherever the partnership file keeps them.

A person who asks to be forgotten (the right to erasure) cannot simply be removed: the
record keeps what their organisation promised and did, and undo keeps a private copy of
every removed or changed email and phone (``change_private``) so that nothing is ever
lost by mistake. Forgetting is the one deliberate exception, and it cannot be undone:

* the person keeps their place in the record under a new identifier
  (``former-member-1``, ``former-member-2``...), named "Former member", with no role,
  email or phone; every row that named them (commitments they own, meetings they were
  invited to, reminders, pairings, inbox links...) points at the new identifier;
* every change-log entry that held their identifier, name, role, email or phone is
  rewritten with the new identifier and without the details, and the private copies
  undo kept of their details are erased;
* a person already removed can be forgotten too: what the change log still holds of
  them is erased the same way;
* SQLite's ``secure_delete`` is on while this runs, so the old text is overwritten in
  the file, and the write-ahead log is emptied afterwards; the inbox file (if there is
  one) is scrubbed the same way and its copy of who may report is taken again, so the
  person's links stop working.

What it cannot reach is listed, not guessed at: free text someone typed (a meeting
note, a story) that still holds the name is reported table by table, and copies made
before (a published file, exports, backups, sent reminders) must be re-made or deleted.

Library: ``p.forget_person(slug)`` returns a :class:`Forgotten`.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from attrs import define, field

from .errors import Conflict, NotFound, ValidationError
from .inbox import inboxdb
from .validators import SLUG_RE

if TYPE_CHECKING:
    from .api import Partnership

__all__ = ["Forgotten", "forget_person", "FORMER_PREFIX", "FORMER_NAME"]

#: the identifier a forgotten person is given, followed by a number
FORMER_PREFIX = "former-member-"
#: the name a forgotten person is given
FORMER_NAME = "Former member"
#: the details of a person that are personal (the identifier is handled apart)
PERSONAL_FIELDS = ("name", "role", "email", "phone")
#: tables that name a person in a column called ``person`` without declaring it a
#: reference (the inbox's bookkeeping); references declared with REFERENCES are found
#: in the file itself, so a plugin's tables are covered too
PERSON_COLUMN = "person"


@define(kw_only=True)
class Forgotten:
    """What forgetting a person changed, and what it could not reach."""

    slug: str
    new_slug: str
    #: rows of other records that named the person, now pointing at ``new_slug``
    references: int = 0
    #: change-log entries rewritten without the person's details
    log_entries: int = 0
    #: private copies of the person's details (kept for undo) erased
    private_copies: int = 0
    #: whether the person was still recorded (False: removed earlier, only history scrubbed)
    was_recorded: bool = True
    #: whether an inbox file was scrubbed too
    inbox: bool = False
    #: free text that still holds the name or a detail: "table.column (N rows)"
    still_named: list[str] = field(factory=list)
    #: the person had been forgotten before: only the files' free space was cleared again
    already: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"slug": self.slug, "new_slug": self.new_slug, "references": self.references,
                "log_entries": self.log_entries, "private_copies": self.private_copies,
                "was_recorded": self.was_recorded, "inbox": self.inbox,
                "still_named": list(self.still_named), "already": self.already}


class _Scrubber:
    """Rewrites text and JSON values: the old identifier becomes the new one, the
    person's names become :data:`FORMER_NAME`, their email and phone go.

    A name is matched as whole words, and never inside another person's name: forgetting
    "Jo" leaves "Jo Bloggs" as it is."""

    def __init__(self, slug: str, new_slug: str, names: Iterable[str], secrets: Iterable[str],
                 others: Iterable[str] = ()) -> None:
        self.slug, self.new_slug = slug, new_slug
        # an identifier is a whole slug: not part of a longer one (jo in jo-bloggs)
        self._slug = re.compile(rf"(?<![a-z0-9-]){re.escape(slug)}(?![a-z0-9-])")
        self.names = sorted({n.strip() for n in names if len(n.strip()) >= 2}, key=len, reverse=True)
        self._names = _words(self.names)
        # other people's names that hold one of these names: kept whole
        holding = [o for o in {o.strip() for o in others} - set(self.names)
                   if self._names is not None and self._names.search(o)]
        self._others = _words(sorted(holding, key=len, reverse=True), group=True)
        self.secrets = sorted({s for s in secrets if s and len(s.strip()) >= 3}, key=len, reverse=True)
        self.needles = [slug, *self.names, *self.secrets]

    def _outside_others(self, value: str) -> list[tuple[bool, str]]:
        """``value`` cut into (is another person's name, text) parts."""
        if self._others is None:
            return [(False, value)]
        parts = self._others.split(value)
        return [(i % 2 == 1, part) for i, part in enumerate(parts)]

    def text(self, value: str) -> str:
        for secret in self.secrets:
            value = value.replace(secret, "")
        value = self._slug.sub(self.new_slug, value)
        if self._names is not None:
            names = self._names
            value = "".join(part if kept else names.sub(FORMER_NAME, part)
                            for kept, part in self._outside_others(value))
        return value

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {self.text(k): self.value(v) for k, v in value.items()}
        return value

    def names_or_details(self, value: str) -> bool:
        """Whether ``value`` holds one of the names (as words, not inside another
        person's name), an email or a phone."""
        if any(s in value for s in self.secrets):
            return True
        names = self._names
        return names is not None and any(
            not kept and names.search(part) for kept, part in self._outside_others(value))


def _words(phrases: list[str], *, group: bool = False) -> re.Pattern[str] | None:
    """One pattern matching any of ``phrases`` as whole words, any case (``group``: kept
    by :meth:`re.Pattern.split`)."""
    if not phrases:
        return None
    # not inside a longer word or an identifier: "Jo" is not in "Joanne" nor in "jo-bloggs"
    body = "|".join(rf"(?<![\w-]){re.escape(x)}(?![\w-])" for x in phrases)
    return re.compile(f"({body})" if group else body, re.IGNORECASE)


def _person_fields(obj: Any) -> None:
    """Blank the personal fields of a person's row as logged (in place, at any depth)."""
    if isinstance(obj, dict):
        for name in PERSONAL_FIELDS:
            if name in obj:
                obj[name] = FORMER_NAME if name == "name" else ("" if name == "role" else None)
        for v in obj.values():
            if isinstance(v, dict):
                _person_fields(v)


def _details_from_history(conn: sqlite3.Connection, slug: str) -> tuple[set[str], set[str]]:
    """Every name, and every email and phone, the change log and its private copies hold
    of the person ``slug`` (they may have changed over time)."""
    names: set[str] = set()
    secrets: set[str] = set()

    def take(obj: Any) -> None:
        if not isinstance(obj, dict):
            return
        for name in ("name", "email", "phone"):  # a role alone names nobody: blanked, not hunted
            value = obj.get(name)
            if isinstance(value, str) and value:
                (names if name == "name" else secrets).add(value)
        for v in obj.values():
            take(v)

    for ident, data in conn.execute(
            "SELECT id, data FROM changes WHERE entity = 'person' AND key = ?", [slug]):
        take(json.loads(data or "{}"))
        for (private,) in conn.execute("SELECT data FROM change_private WHERE change = ?", [ident]):
            take(json.loads(private or "{}"))
    return names, secrets


def _other_names(conn: sqlite3.Connection, slug: str) -> set[str]:
    """The names of everyone else, recorded now or named in the change log."""
    found = {r[0] for r in conn.execute("SELECT name FROM people WHERE slug != ?", [slug])}
    for (data,) in conn.execute("SELECT data FROM changes WHERE entity = 'person' AND key != ?", [slug]):
        parsed = json.loads(data or "{}")
        for part in (parsed, parsed.get("before"), parsed.get("after")):
            if isinstance(part, dict) and isinstance(part.get("name"), str):
                found.add(part["name"])
    return found


def _references(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(table, column) of every column that names a person: declared references to
    ``people(slug)``, and columns called ``person`` that declare none."""
    found: list[tuple[str, str]] = []
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT IN ('people', 'changes', 'change_private') ORDER BY name")]
    for table in tables:
        declared = set()
        for fk in conn.execute(f'PRAGMA foreign_key_list("{table}")'):
            if fk[2] == "people" and (fk[4] in (None, "slug")):
                declared.add(fk[3])
        columns = {c[1] for c in conn.execute(f'PRAGMA table_info("{table}")')}
        if PERSON_COLUMN in columns:
            declared.add(PERSON_COLUMN)
        found.extend((table, c) for c in sorted(declared))
    return found


def _text_columns(conn: sqlite3.Connection, skip: set[str]) -> list[tuple[str, str]]:
    out = []
    for (table,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY name").fetchall():
        if table in skip:
            continue
        for c in conn.execute(f'PRAGMA table_info("{table}")'):
            if (c[2] or "").upper() in ("TEXT", ""):
                out.append((table, c[1]))
    return out


def _next_slug(conn: sqlite3.Connection) -> str:
    taken = {r[0] for r in conn.execute("SELECT slug FROM people WHERE slug LIKE ?", [FORMER_PREFIX + "%"])}
    taken |= {r[0] for r in conn.execute(
        "SELECT key FROM changes WHERE entity = 'person' AND key LIKE ?", [FORMER_PREFIX + "%"])}
    n = 1
    while f"{FORMER_PREFIX}{n}" in taken:
        n += 1
    return f"{FORMER_PREFIX}{n}"


def forget_person(p: Partnership, slug: str) -> Forgotten:
    """Erase the personal details of the person ``slug`` (see the module's text).

    Raises NotFound when neither the record nor the change log knows ``slug``, and
    ValidationError for a person already forgotten."""
    if not isinstance(slug, str) or not SLUG_RE.fullmatch(slug):
        raise ValidationError(f"a person is given by their identifier, e.g. jo-bloggs (got {slug!r})")
    store = p.store
    conn = store.conn
    if slug.startswith(FORMER_PREFIX):
        if conn.execute("SELECT 1 FROM changes WHERE entity = 'person' AND key = ? AND action = 'forget'",
                        [slug]).fetchone() is None:
            raise ValidationError(f"{slug} is a name this command gives; no one was forgotten as {slug}")
        # already forgotten: only clear the free space again (when it was busy the first time)
        _compact(p, slug)
        return Forgotten(slug=slug, new_slug=slug, already=True)
    row = conn.execute("SELECT name, role, email, phone FROM people WHERE slug = ?", [slug]).fetchone()
    logged = conn.execute("SELECT count(*) FROM changes WHERE entity = 'person' AND key = ?",
                          [slug]).fetchone()[0]
    if row is None and not logged:
        known = [r[0] for r in conn.execute("SELECT slug FROM people ORDER BY slug")]
        raise NotFound("person", slug, known)
    names, secrets = _details_from_history(conn, slug)
    if row is not None:
        name, _role, email, phone = row
        names.add(name)
        secrets.update(x for x in (email, phone) if x)
    others = _other_names(conn, slug)
    result = Forgotten(slug=slug, new_slug="", was_recorded=row is not None)

    inbox_conn = _open_inbox(p)
    conn.execute("PRAGMA secure_delete = ON")
    try:
        with store.transaction():
            new = _next_slug(conn)
            result.new_slug = new
            scrub = _Scrubber(slug, new, names, secrets, others)
            if row is not None:
                # the new row first, then every reference moves to it, then the old row goes
                # (no reference is ever left dangling, whatever the foreign-key mode)
                cols = [c[1] for c in conn.execute('PRAGMA table_info("people")')]
                values = {c: f'"{c}"' for c in cols}
                values.update(slug="?", name="?", role="''", email="NULL", phone="NULL")
                conn.execute(
                    f"INSERT INTO people ({', '.join(values)}) SELECT "
                    f"{', '.join(values.values())} FROM people WHERE slug = ?",
                    [new, FORMER_NAME, slug])
            for table, column in _references(conn):
                cursor = conn.execute(
                    f'UPDATE "{table}" SET "{column}" = ? WHERE "{column}" = ?', [new, slug])
                result.references += max(cursor.rowcount, 0)
            conn.execute("DELETE FROM people WHERE slug = ?", [slug])
            result.log_entries, result.private_copies = _scrub_log(conn, scrub)
            store.log("forget", "person", new,
                      f"forgot a person's details: they are {new} in the record from now on")
            result.still_named = _still_named(conn, scrub)
            if inbox_conn is not None:
                # who may report, copied again (the old identifier's links stop working),
                # and the person's submissions: committed just after the working file
                inboxdb.replace_scope(inbox_conn, p.inbox.copied())
                _scrub_inbox(inbox_conn, scrub)
        if inbox_conn is not None:
            inbox_conn.execute("COMMIT")
            result.inbox = True
    except BaseException:
        if inbox_conn is not None and inbox_conn.in_transaction:
            inbox_conn.execute("ROLLBACK")
        raise
    finally:
        conn.execute("PRAGMA secure_delete = OFF")
        if inbox_conn is not None:
            _checkpoint(inbox_conn)
            inbox_conn.close()
    p.inbox.close()  # its copy of the scope is stale
    _compact(p, result.new_slug)
    return result


def _compact(p: Partnership, new_slug: str) -> None:
    """Rebuild the file and its inbox file (VACUUM) and empty their write-ahead logs, so no
    old copy of the details is left in free space: earlier updates and removals freed
    pages before ``secure_delete`` was on."""
    from .inbox.service import inbox_path

    files = [p.store.conn]
    path = None if p.store.path == ":memory:" else inbox_path(p.store.path)
    inbox = inboxdb.connect(path) if path is not None and inboxdb.problem(path) is None else None
    if inbox is not None:
        files.append(inbox)
    try:
        for conn in files:
            conn.execute("VACUUM")
            _checkpoint(conn)
    except sqlite3.OperationalError as exc:
        raise Conflict(
            f"the person is forgotten ({new_slug}), but the file is in use by another program "
            f"({exc}), so old copies of their details may remain in its free space; stop the "
            f"dashboard or inbox and run 'partnership person forget {new_slug} --yes' to clear "
            f"it") from None
    finally:
        if inbox is not None:
            inbox.close()


def _scrub_log(conn: sqlite3.Connection, scrub: _Scrubber) -> tuple[int, int]:
    """Rewrite the change-log entries that mention the person; erase undo's private
    copies of their details. Returns (entries rewritten, private copies erased)."""
    rewritten = 0
    # who made a change (--as NAME) may be the person too
    like = " OR ".join("instr(lower(key || ' ' || summary || ' ' || data || ' ' || coalesce(actor, '')), ?)"
                       for _ in scrub.needles)
    rows = conn.execute(f"SELECT id, entity, key, summary, data, actor FROM changes WHERE {like}",
                        [n.lower() for n in scrub.needles]).fetchall()
    for ident, entity, key, summary, data, actor in rows:
        parsed = json.loads(data or "{}")
        if entity == "person" and key == scrub.slug:
            _person_fields(parsed)
        new_key, new_summary = scrub.text(key), scrub.text(summary)
        new_actor = actor if actor is None else scrub.text(actor)
        new_data = json.dumps(scrub.value(parsed), default=str, sort_keys=True)
        if (new_key, new_summary, new_data, new_actor) != (key, summary, data, actor):
            conn.execute("UPDATE changes SET key = ?, summary = ?, data = ?, actor = ? WHERE id = ?",
                         [new_key, new_summary, new_data, new_actor, ident])
            rewritten += 1
    # undo's private copies: those of the person's own entries (keyed by the new identifier
    # by now), and any other that holds one of their names or details
    doomed = [ident for ident, own, data in conn.execute(
        "SELECT cp.change, c.entity = 'person' AND c.key = ?, cp.data FROM change_private cp "
        "LEFT JOIN changes c ON c.id = cp.change", [scrub.new_slug])
        if own or scrub.names_or_details(data)]
    conn.executemany("DELETE FROM change_private WHERE change = ?", [(i,) for i in doomed])
    return rewritten, len(doomed)


def _still_named(conn: sqlite3.Connection, scrub: _Scrubber) -> list[str]:
    """Free text that still holds a name or detail: 'table.column (N rows)'."""
    needles = [n.lower() for n in (*scrub.names, *scrub.secrets)]
    if not needles:
        return []
    found = []
    for table, column in _text_columns(conn, {"changes", "change_private"}):
        where = " OR ".join(f'instr(lower("{column}"), ?)' for _ in needles)
        n = sum(1 for (text,) in conn.execute(f'SELECT "{column}" FROM "{table}" WHERE {where}', needles)
                if isinstance(text, str) and scrub.names_or_details(text))
        if n:
            found.append(f"{table}.{column} ({n} row{'s' if n != 1 else ''})")
    return found


def _open_inbox(p: Partnership) -> sqlite3.Connection | None:
    """A connection to the partnership's sound inbox file, in a transaction with
    secure_delete on; None when there is no such file."""
    from .inbox.service import inbox_path

    if p.store.path == ":memory:":
        return None
    path = inbox_path(p.store.path)
    if inboxdb.problem(path) is not None:
        return None
    conn = inboxdb.connect(path)
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("BEGIN IMMEDIATE")
    return conn


def _scrub_inbox(conn: sqlite3.Connection, scrub: _Scrubber) -> None:
    """The person's submissions under the new identifier, without their details."""
    rows = conn.execute("SELECT id, person, subject, summary, decided_by, reason, payload "
                        "FROM submissions").fetchall()
    for ident, *values in rows:
        text = [v if v is None else scrub.text(str(v)) for v in values[:-1]]
        payload = json.loads(values[-1])
        scrubbed = scrub.value(payload)
        if text != values[:-1] or scrubbed != payload:
            conn.execute("UPDATE submissions SET person = ?, subject = ?, summary = ?, decided_by = ?, "
                         "reason = ?, payload = ? WHERE id = ?",
                         [*text, json.dumps(scrubbed, sort_keys=True, ensure_ascii=False), ident])


def _checkpoint(conn: sqlite3.Connection) -> None:
    """Write the write-ahead log back into the file and empty it (best effort: a reader
    holding an old snapshot may keep part of it until it lets go)."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
