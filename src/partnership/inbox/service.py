"""``p.inbox``: partners report for themselves, and nothing enters the record until the
lead accepts it.

* :meth:`Inbox.link` signs a personal link (person, partner, expiry, link version) with
  the partnership's private secret; :meth:`Inbox.revoke` makes every earlier link of a
  person stop working.
* :meth:`Inbox.prepare` writes the inbox database beside the working file (what each
  partner may report, the secret) and rebuilds it when it is missing or damaged,
  saying what pending work was lost. The inbox site (:mod:`partnership.inbox.site`)
  serves that file alone.
* :meth:`Inbox.submit` is the library's way in (returned workbooks, scripts): the same
  checks as the site's forms (:mod:`partnership.inbox.kinds`), a pending submission.
* :meth:`Inbox.pending`, :meth:`Inbox.accept` and :meth:`Inbox.reject` are the lead's
  review: each accepted submission is applied through the library in its own
  transaction, the change log naming who submitted it and who accepted it; a
  submission that conflicts with the record needs ``replace``; accepting twice changes
  nothing (the working file records each applied submission's uid).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import Conflict, NotFound, PartnershipError, ValidationError
from . import inboxdb, kinds, tokens

if TYPE_CHECKING:
    from ..api import Partnership

#: where partners' links point when no --url is given: ``partnership inbox serve``'s default
DEFAULT_BASE_URL = "http://127.0.0.1:8002"
DEFAULT_DAYS = 90
#: the columns of the mail-merge file of links (``invite --all --csv FILE``)
LINK_COLUMNS = ("person", "name", "partner", "email", "expires", "link")
MAX_DAYS = 3660

#: which partners report an indicator: those named for it, else every partner with a stake
#: in its outcome and the partner running the activity it measures (public tables only)
REPORTERS_SQL = """
    SELECT r.indicator AS indicator, r.partner AS partner FROM indicator_reporters r
    UNION
    SELECT i.slug, s.partner FROM indicators i JOIN stakes s ON s.outcome = i.outcome
     WHERE NOT EXISTS (SELECT 1 FROM indicator_reporters r WHERE r.indicator = i.slug)
    UNION
    SELECT i.slug, a.partner FROM indicators i JOIN activities a ON a.slug = i.activity
     WHERE NOT EXISTS (SELECT 1 FROM indicator_reporters r WHERE r.indicator = i.slug)
"""

_SCOPE_INDICATORS = f"""
    SELECT r.partner AS partner, i.slug AS slug, i.title AS title, i.unit AS unit,
           i.outcome AS outcome, o.title AS outcome_title, i.direction AS direction,
           i.frequency AS frequency, i.baseline AS baseline, i.baseline_date AS baseline_date,
           i.target AS target, i.target_date AS target_date,
           (SELECT value FROM observations WHERE indicator = i.slug ORDER BY date DESC LIMIT 1)
               AS last_value,
           (SELECT max(date) FROM observations WHERE indicator = i.slug) AS last_date
    FROM ({REPORTERS_SQL}) r JOIN indicators i ON i.slug = r.indicator
    JOIN outcomes o ON o.slug = i.outcome
    ORDER BY r.partner, i.slug
"""


class InboxError(PartnershipError):
    """The inbox database cannot be used as it is (damaged, or no inbox for this file)."""


class BatchRefused(ValidationError):
    """One of several submissions given together was refused, so none was stored."""

    def __init__(self, index: int, error: PartnershipError) -> None:
        super().__init__(f"submission {index + 1} of the batch was refused, so none was stored: {error}")
        self.index = index
        self.error = error


@attrs.define
class Rebuilt:
    """What :meth:`Inbox.prepare` found and did when the inbox file could not be used."""

    path: Path
    problem: str
    #: open submissions that are gone: read from the damaged file, or pending at the lead's last look
    lost: list[dict[str, Any]] = attrs.field(factory=list)
    #: where the damaged file was moved (kept, never deleted)
    moved_to: Path | None = None


def inbox_path(db_path: str | os.PathLike[str]) -> Path:
    """The inbox database beside a working file: ``lancs.db`` -> ``lancs.inbox.db``."""
    path = Path(db_path)
    return path.with_name(f"{path.stem}.inbox.db")


def carry_inbox(source_db: str | os.PathLike[str], target_db: str | os.PathLike[str]) -> None:
    """A working file was renamed from ``source_db`` to ``target_db``: its inbox file goes
    with it (replacing the inbox file that was beside the target, which belonged to the
    file the target replaced); with no inbox beside the source, an inbox file beside the
    target is removed (it is another partnership's now). A file there that is not an
    inbox database is moved aside (``NAME.replaced-STAMP``), never deleted. Call it with
    both working files closed."""
    source, target = inbox_path(source_db), inbox_path(target_db)
    why = inboxdb.problem(target)
    if why not in (None, "missing"):
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        os.replace(target, target.with_name(f"{target.name}.replaced-{stamp}"))
        why = "missing"
    if not source.exists() and why == "missing":
        return
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    if source.exists():
        for suffix in ("-wal", "-shm", ""):
            if Path(str(source) + suffix).exists():
                os.replace(str(source) + suffix, str(target) + suffix)
    else:
        target.unlink()


def discard_inbox(db: str | os.PathLike[str]) -> None:
    """Remove the inbox file of a working file that is being thrown away (an unfinished build)."""
    path = inbox_path(db)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


class Inbox:
    """``p.inbox``: links, the inbox database, submissions and their review."""

    def __init__(self, p: Partnership) -> None:
        self.p = p
        self._conn: sqlite3.Connection | None = None
        #: the working file's state when the scope was last copied (skip copying it again)
        self._synced: tuple[int, int] | None = None

    # -- where -------------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        if self.p.store.path == ":memory:":
            raise InboxError("an in-memory partnership has no inbox; save it to a file first")
        return inbox_path(self.p.store.path)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- links -------------------------------------------------------------------------------

    def _secret(self) -> str:
        return str(self.p.store.conn.execute("SELECT secret FROM inbox_secret WHERE id = 1").fetchone()[0])

    def _version(self, person: str) -> int:
        row = self.p.store.conn.execute("SELECT version FROM inbox_links WHERE person = ?",
                                        [person]).fetchone()
        return 1 if row is None else int(row[0])

    def link(self, person: str, *, days: int = DEFAULT_DAYS, base_url: str | None = None) -> str:
        """A personal link for ``person`` that works for ``days`` days (until revoked).

        It needs no running server: the site checks it when it is followed."""
        who = self.p.people.get(person)
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
            raise ValidationError(f"days must be a whole number from 1 to {MAX_DAYS} (got {days!r})")
        base = _base_url(base_url)
        grant = tokens.Grant(person=who.slug, partner=who.partner,
                             expires=self.p.today() + dt.timedelta(days=days),
                             version=self._version(who.slug))
        return f"{base}/r/{tokens.sign(self._secret(), grant)}"

    def links(self, *, days: int = DEFAULT_DAYS, base_url: str | None = None) -> list[dict[str, Any]]:
        """Everyone's link, for a mail merge (private: it holds email addresses and links)."""
        out = []
        expires = (self.p.today() + dt.timedelta(days=days)).isoformat()
        for person in self.p.people.list():
            out.append({"person": person.slug, "name": person.name, "partner": person.partner,
                        "email": person.email or "", "expires": expires,
                        "link": self.link(person.slug, days=days, base_url=base_url)})
        return out

    def write_links(self, path: str | os.PathLike[str], *, person: str | None = None,
                    days: int = DEFAULT_DAYS, base_url: str | None = None, force: bool = False) -> int:
        """Write everyone's links (or ``person``'s) to a private mail-merge CSV; the rows.

        Like every CSV written for people (:func:`partnership.tabular.write_csv`): a
        byte-order mark so Excel reads names right, formula cells neutralised, readable by
        its owner only (it holds email addresses and working links); never the working
        database, and an existing file is replaced only with ``force``."""
        from .. import outfiles, tabular

        if person is not None:
            self.p.people.get(person)  # says there is no such person
        rows = [r for r in self.links(days=days, base_url=base_url)
                if person is None or r["person"] == person]
        tabular.write_csv(path, LINK_COLUMNS, rows, protect=outfiles.protected_paths(self.p.store.path),
                          private=True, force=force)
        return len(rows)

    def revoke(self, person: str) -> int:
        """Make every link of ``person`` given so far stop working; returns the new version.

        Access, not the record: like the links themselves, a revocation is kept out of the
        change log (which is published)."""
        who = self.p.people.get(person)
        with self.p.store.transaction():
            self.p.store.conn.execute(
                "INSERT INTO inbox_links (person, version) VALUES (?, 2) "
                "ON CONFLICT (person) DO UPDATE SET version = version + 1", [who.slug])
            version = self._version(who.slug)
        # a running site sees it at once (the inbox file is the lead's to write, too)
        if inboxdb.problem(self.path) is None:
            conn = self._connection()
            inboxdb.set_version(conn, who.slug, version)
        return version

    # -- which partners report which indicator ------------------------------------------------

    def set_reporters(self, indicator: str, partners: Iterable[str]) -> list[str]:
        """Name the partners that report ``indicator`` (none: every partner with a stake)."""
        self.p.measure.indicators.get(indicator)
        chosen = list(dict.fromkeys(partners))
        for partner in chosen:
            self.p.partners.get(partner)
        with self.p.store.transaction():
            conn = self.p.store.conn
            before = self.reporters(indicator)
            conn.execute("DELETE FROM indicator_reporters WHERE indicator = ?", [indicator])
            conn.executemany("INSERT INTO indicator_reporters (indicator, partner) VALUES (?, ?)",
                             [[indicator, p] for p in chosen])
            after = self.reporters(indicator)
            self.p.store.log("update", "indicator reporters", indicator,
                             f"indicator {indicator} is reported by {', '.join(after) or 'nobody'}",
                             {"before": before, "after": after})
        return after

    def reporters(self, indicator: str) -> list[str]:
        """The partners that report ``indicator``."""
        self.p.measure.indicators.get(indicator)
        return [r["partner"] for r in self.p.store.query(
            f"SELECT DISTINCT partner FROM ({REPORTERS_SQL}) WHERE indicator = ? ORDER BY partner",
            [indicator])]

    # -- the inbox database ---------------------------------------------------------------------

    def scope(self) -> dict[str, Any]:
        """What each partner may report (its people, outcomes, indicators with their last
        figures, open commitments), as copied into the inbox file."""
        q = self.p.store.query
        return {
            "partners": q("SELECT slug, name FROM partners ORDER BY slug"),
            "people": q("SELECT p.slug AS slug, p.name AS name, p.partner AS partner, "
                        "coalesce(l.version, 1) AS version FROM people p "
                        "LEFT JOIN inbox_links l ON l.person = p.slug ORDER BY p.slug"),
            "outcomes": q("SELECT s.partner AS partner, o.slug AS slug, o.title AS title FROM stakes s "
                          "JOIN outcomes o ON o.slug = s.outcome ORDER BY s.partner, o.slug"),
            "indicators": q(_SCOPE_INDICATORS),
            "commitments": q("SELECT id, partner, owner, what, outcome, activity, due, additional, "
                             "created FROM commitments WHERE state = 'open' ORDER BY id"),
            "meetings": q("SELECT slug, title, date FROM meetings WHERE status = 'proposed' AND date >= ? "
                          "ORDER BY date, slug", [self.p.today().isoformat()]),
            "pairs": q("""SELECT me.person AS person, me.round AS round, me.number AS number,
                                 coalesce((SELECT group_concat(pe.name, ', ') FROM pairings o
                                           JOIN people pe ON pe.slug = o.person
                                           WHERE o.round = me.round AND o.number = me.number
                                             AND o.person != me.person), '') AS others,
                                 g.met AS met
                          FROM pairings me JOIN pair_groups g ON g.round = me.round AND g.number = me.number
                          WHERE me.round = (SELECT round FROM pair_rounds ORDER BY drawn_on DESC, round DESC
                                            LIMIT 1)
                          ORDER BY me.person"""),
            "areas": [{"slug": a["slug"], "name": a["name"],
                       "questions": "\n".join(self.p.assess.questions(a["slug"]))}
                      for a in q("SELECT slug, name FROM assessment_areas ORDER BY slug")],
        }

    def prepare(self) -> Rebuilt | None:
        """Make the inbox file ready to serve: rebuild it if it is missing or damaged (saying
        what pending work was lost), then copy in what each partner may report."""
        self.close()
        path = self.path
        why = inboxdb.problem(path) or self._foreign(path)
        rebuilt = None
        if why is not None:
            rebuilt = self._rebuild(path, why)
        self.sync()
        self.pending()  # remembered, so a lost file can say later what was waiting
        return rebuilt

    def sync(self, *, force: bool = True) -> None:
        """Copy what each partner may report into the inbox file (made if missing); unless
        ``force``, only if the working file changed since the last copy."""
        conn = self.p.store.conn
        state = (conn.total_changes, int(conn.execute("PRAGMA data_version").fetchone()[0]))
        if not force and self._synced == state and self._conn is not None:
            return
        inboxdb.write_scope(self._connection(create=True), self.copied())
        self._synced = state

    def copied(self) -> dict[str, Any]:
        """What :meth:`sync` copies: :meth:`scope` and the private config (the secret)."""
        private = {"secret": self._secret(), "partnership": self.p.info().name}
        return {**self.scope(), "meta": private}

    def _rebuild(self, path: Path, why: str) -> Rebuilt:
        from .. import outfiles

        report = Rebuilt(path=path, problem=why)
        lost: dict[str, dict[str, Any]] = {}
        if why != "missing":
            for row in inboxdb.salvage(path):
                lost[row["uid"]] = row
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
            report.moved_to = path.with_name(f"{path.name}.damaged-{stamp}")
            for suffix in ("", "-wal", "-shm"):
                source = Path(str(path) + suffix)
                if source.exists():
                    os.replace(source, Path(str(report.moved_to) + suffix))
        applied = {r["uid"] for r in self.p.store.query("SELECT uid FROM inbox_accepted")}
        for row in self.p.store.query("SELECT uid, submission AS id, person, partner, kind, summary "
                                      "FROM inbox_known ORDER BY submission"):
            lost.setdefault(row["uid"], {**row, "state": "pending"})
        report.lost = sorted((r for uid, r in lost.items() if uid not in applied), key=lambda r: r["id"])
        first = 1 + max([0, *[int(r["id"]) for r in report.lost], *[
            int(r["n"] or 0) for r in self.p.store.query("SELECT max(submission) AS n FROM inbox_accepted")]])
        output = outfiles.OutputFile(path, protect=outfiles.protected_paths(self.p.store.path),
                                     private=True, sqlite=True, recognise=inboxdb.is_inbox_file,
                                     what="an inbox database")
        with output as tmp:
            conn = inboxdb.connect(tmp)
            try:
                inboxdb.create_schema(conn, first_id=first)
                conn.execute("PRAGMA journal_mode = DELETE")
            finally:
                conn.close()
        with self.p.store.transaction():
            self.p.store.conn.execute("DELETE FROM inbox_known")
        return report

    def _connection(self, *, create: bool = False) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        path = self.path
        why = inboxdb.problem(path)
        if why == "missing" and create:
            self._rebuild(path, why)
            why = inboxdb.problem(path)
        if why == "missing":
            raise InboxError(f"there is no inbox yet ({path}); start it with 'partnership inbox serve'")
        why = why or self._foreign(path)
        if why is not None:
            raise InboxError(f"the inbox database {path} is {why}; run 'partnership inbox serve' to "
                             f"rebuild it (it says what pending work was lost)")
        self._conn = inboxdb.connect(path)
        return self._conn

    def _foreign(self, path: Path) -> str | None:
        """Why a sound inbox file is not this partnership's (a copy of another's), or None."""
        conn = inboxdb.connect(path, readonly=True)
        try:
            secret = inboxdb.meta(conn, "secret")
        finally:
            conn.close()
        if secret is not None and secret != self._secret():
            return "the inbox of another partnership file"
        return None

    def _has_inbox(self) -> bool:
        return self._conn is not None or inboxdb.problem(self.path) != "missing"

    # -- submitting ------------------------------------------------------------------------------

    def submit(self, person: str, kind: str, payload: dict[str, Any], *, via: str = "web",
               draft: bool = False) -> int:
        """Store a pending (or ``draft``) submission by ``person`` for their partner; its id.

        Checked as the site's forms are (the same models; the partner's own indicators and
        open commitments); a problem raises :class:`~partnership.inbox.kinds.FieldErrors`,
        a :class:`~partnership.errors.ValidationError`, and nothing is stored."""
        try:
            return self.submit_many([(person, kind, payload)], via=via, draft=draft)[0]
        except BatchRefused as exc:
            raise exc.error from None

    def submit_many(self, items: Iterable[tuple[str, str, dict[str, Any]]], *, via: str = "web",
                    draft: bool = False) -> list[int]:
        """Store several submissions, each ``(person, kind, payload)``, all or none; their ids.

        Every item is checked first, as :meth:`submit` checks one; the first that is refused
        raises :class:`BatchRefused` (its ``index`` and its ``error``) and nothing is stored.
        Then all are written in one transaction of the inbox file (a returned workbook is
        queued whole or not at all)."""
        if not isinstance(via, str) or not via.strip() or len(via) > 40:
            raise ValidationError(f"via must be a short word such as web or returns (got {via!r})")
        wanted = list(items)
        people = {person: self.p.people.get(person) for person, _, _ in wanted}
        self.sync(force=False)
        conn = self._connection()
        rows = []
        for index, (person, kind, payload) in enumerate(wanted):
            who = people[person]
            try:
                checked = kinds.check(kind, payload, partner=who.partner, conn=conn, today=self.p.today(),
                                      person=who.slug)
            except PartnershipError as exc:
                raise BatchRefused(index, exc) from None
            rows.append({"person": who.slug, "partner": who.partner, "kind": checked.kind,
                         "subject": checked.subject, "summary": checked.summary,
                         "payload": checked.payload})
        return inboxdb.save_many(conn, rows, state="draft" if draft else "pending", via=via.strip())

    # -- reviewing --------------------------------------------------------------------------------

    def get(self, ident: Any) -> dict[str, Any]:
        """One submission with what it would change and any conflict."""
        number = parse_id(ident)
        found = inboxdb.get(self._connection(), number) if self._has_inbox() else None
        if found is None:
            raise NotFound("submission", number, hint="list them with 'partnership inbox'")
        return self._described(found)

    def pending(self, *, partner: str | None = None, states: Iterable[str] = ("pending",)
                ) -> list[dict[str, Any]]:
        """Submissions waiting for the lead (or of ``states``), each with ``changes`` (what it
        would change in the record) and ``conflict`` (why it needs ``replace``, or None)."""
        wanted = list(states)
        wrong = [s for s in wanted if s not in inboxdb.STATES]
        if wrong:
            raise ValidationError(f"state must be one of {', '.join(inboxdb.STATES)} (got '{wrong[0]}')")
        if partner is not None:
            self.p.partners.get(partner)
        if not self._has_inbox():
            return []
        found = inboxdb.listing(self._connection(), states=wanted, partner=partner)
        out = [self._described(s) for s in found]
        self._remember(out)
        return out

    def _remember(self, subs: list[dict[str, Any]]) -> None:
        """Note what was pending at this look, so a lost inbox file can say what was lost."""
        rows = [s for s in subs if s["state"] == "pending"]
        if not rows:
            return
        try:
            with self.p.store.transaction():
                self.p.store.conn.executemany(
                    "INSERT OR REPLACE INTO inbox_known (uid, submission, person, partner, kind, summary, "
                    "seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [[s["uid"], s["id"], s["person"], s["partner"], s["kind"], s["summary"], inboxdb.now()]
                     for s in rows])
        except sqlite3.OperationalError as exc:
            if "readonly" not in str(exc):
                raise
            # a working file this process may only read: the listing is still right

    def _described(self, sub: dict[str, Any]) -> dict[str, Any]:
        changes, conflict = self._effect(sub)
        return {**sub, "changes": changes, "conflict": conflict}

    def _effect(self, sub: dict[str, Any]) -> tuple[str, str | None]:
        data = sub["payload"]
        q = self.p.store.query
        if sub["kind"] == "observation":
            old = q("SELECT value, source, note FROM observations WHERE indicator = ? AND date = ?",
                    [data["indicator"], data["date"]])
            new = f"{data['value']:g}"
            if not old:
                last = q("SELECT value, date FROM observations WHERE indicator = ? ORDER BY date DESC "
                         "LIMIT 1", [data["indicator"]])
                was = f" (last figure {last[0]['value']:g} on {last[0]['date']})" if last else ""
                return f"new figure for {data['indicator']} on {data['date']}: {new}{was}", None
            o = old[0]
            if (o["value"], o["source"], o["note"]) == (data["value"], data["source"], data["note"]):
                return f"{data['indicator']} on {data['date']} is already {new}: nothing to change", None
            return (f"{data['indicator']} on {data['date']}: {o['value']:g} -> {new}",
                    f"{data['indicator']} already has a figure on {data['date']} ({o['value']:g})")
        if sub["kind"] == "agenda-item":
            same = q("SELECT id FROM agenda_items WHERE meeting = ? AND title = ?",
                     [data["meeting"], data["title"]])
            if same:
                return f"{data['meeting']} already has that item: nothing to change", None
            status = q("SELECT status FROM meetings WHERE slug = ?", [data["meeting"]])
            if not status or status[0]["status"] != "proposed":
                return (f"a new item for {data['meeting']}",
                        f"meeting {data['meeting']} is no longer being planned")
            return f"a new {data['item_kind']} item for {data['meeting']}: {data['title'][:60]}", None
        if sub["kind"] == "pair-met":
            group = q("SELECT g.met, g.met_on, g.output FROM pairings p JOIN pair_groups g "
                      "ON g.round = p.round AND g.number = p.number WHERE p.round = ? AND p.person = ?",
                      [data["round"], sub["person"]])
            if not group:
                return f"round {data['round']}", f"{sub['person']} is no longer in round {data['round']}"
            if not group[0]["met"]:
                return f"their group of round {data['round']} met on {data['met_on']}", None
            if (group[0]["met_on"], group[0]["output"]) == (data["met_on"], data["output"]):
                return "that meeting is already recorded: nothing to change", None
            return (f"their group of round {data['round']}: met on {group[0]['met_on']} -> {data['met_on']}",
                    f"the group already met on {group[0]['met_on']}")
        if sub["kind"] == "assessment":
            same = q("SELECT id FROM assessments WHERE area = ? AND round = ? AND by = ? AND now = ?",
                     [data["area"], data["round"], sub["person"], data["now"]])
            if same:
                return "that answer is already recorded: nothing to change", None
            return f"a new self-assessment answer for {data['area']} in round {data['round']}", None
        if sub["kind"] == "update":
            same = q("SELECT id FROM updates WHERE date = ? AND partner = ? AND text = ?",
                     [data["date"], sub["partner"], data["text"]])
            if same:
                return f"the same update is already posted (update {same[0]['id']}): nothing to change", None
            return f"new written update on {data['outcome']} dated {data['date']}", None
        from ..commitments.service import parse_ref

        number = parse_ref(data["commitment"])
        rows = q("SELECT state, delivered_on, withdrawn_on FROM commitments WHERE id = ?", [number])
        ref = data["commitment"]
        if not rows:
            return f"{ref}: no longer in the record", f"{ref} is no longer in the record"
        state = rows[0]["state"]
        wanted = "delivered" if sub["kind"] == "commitment-delivered" else "withdrawn"
        if state == "open":
            return f"{ref}: open -> {wanted}", None
        if state == wanted:
            when = rows[0]["delivered_on"] or rows[0]["withdrawn_on"]
            return (f"{ref}: correct the {wanted} date and details",
                    f"{ref} was already {state} on {when}")
        return f"{ref}: {state} -> {wanted}", f"{ref} was {state}; it cannot become {wanted}"

    def accept(self, idents: Iterable[Any] = (), *, every: bool = False, partner: str | None = None,
               replace: bool = False, confirm: bool = False) -> list[dict[str, Any]]:
        """Apply submissions to the record, each in its own transaction.

        ``idents`` names them; ``every`` takes every pending one (of ``partner`` if given);
        ``confirm`` accepts figures the record would refuse as implausible.
        Returns one result per submission: ``outcome`` is ``accepted``, ``unchanged``
        (accepted before), ``conflict`` (needs ``replace``) or ``refused`` (with ``message``)."""
        numbers = [parse_id(i) for i in idents]
        if not numbers and not every and partner is None:
            raise ValidationError("say which submissions to accept: their ids, --all or --from PARTNER")
        if partner is not None:
            self.p.partners.get(partner)
        if not self._has_inbox():
            if numbers:
                raise NotFound("submission", numbers[0], hint="there is no inbox yet")
            return []
        conn = self._connection()
        if every or partner is not None:
            numbers += [s["id"] for s in inboxdb.listing(conn, partner=partner) if s["id"] not in numbers]
        results: list[dict[str, Any]] = []
        applied: list[int] = []
        try:
            for number in numbers:
                result = self._accept_one(conn, number, replace, confirm)
                results.append(result)
                if result.pop("mark", False):
                    applied.append(number)
        finally:
            # the inbox file hears of them together (one commit, not one each); if this is
            # never reached, the uids the record keeps make the next accept finish the job
            if applied:
                inboxdb.decide(conn, applied, state="accepted", by=self.p.store.actor)
        if any(r["outcome"] == "accepted" for r in results):
            self.sync()  # new last figures; delivered commitments leave
        return results

    def _accept_one(self, conn: sqlite3.Connection, number: int, replace: bool,
                    confirm: bool) -> dict[str, Any]:
        sub = inboxdb.get(conn, number)
        if sub is None:
            raise NotFound("submission", number, hint="list them with 'partnership inbox'")
        result = {"id": number, "person": sub["person"], "partner": sub["partner"],
                  "summary": sub["summary"]}
        store = self.p.store
        lead = store.actor
        done = store.query("SELECT accepted_at FROM inbox_accepted WHERE uid = ?", [sub["uid"]])
        if done or sub["state"] == "accepted":
            return {**result, "outcome": "unchanged", "message": "was accepted before; nothing changed",
                    "mark": sub["state"] != "accepted"}  # stopped after the record's commit
        if sub["state"] != "pending":
            why = {"draft": "is a draft its sender has not sent yet",
                   "returned": "was returned to its sender, who may revise it and send it again"}
            return {**result, "outcome": "refused", "message": why[sub["state"]]}
        changes, conflict = self._effect(sub)
        if conflict and not replace:
            return {**result, "outcome": "conflict",
                    "message": f"{conflict}; add --replace to accept it over the record"}
        private = sub["kind"] in kinds.PRIVATE_SENDER  # who answered is never published
        try:
            with store.transaction():
                if not private:
                    store.actor = f"{sub['person']} (sent through the inbox, accepted by {lead})"
                try:
                    self._apply(sub, replace=replace, confirm=confirm)
                finally:
                    store.actor = lead
                today = self.p.today().isoformat()
                store.conn.execute(
                    "INSERT INTO inbox_accepted (uid, submission, person, partner, kind, submitted_at, "
                    "accepted_at, accepted_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [sub["uid"], number, sub["person"], sub["partner"], sub["kind"], sub["updated_at"],
                     inboxdb.now(), lead])
                if not private:
                    store.conn.execute(
                        "INSERT INTO inbox_reporting (partner, last_accepted, accepted) VALUES (?, ?, 1) "
                        "ON CONFLICT (partner) DO UPDATE SET last_accepted = max(last_accepted, excluded."
                        "last_accepted), accepted = accepted + 1", [sub["partner"], today])
                store.conn.execute("DELETE FROM inbox_known WHERE uid = ?", [sub["uid"]])
                if private:
                    store.log("accept", "submission", str(number),
                              f"accepted submission {number} through the inbox: {sub['summary']}",
                              {"accepted_by": lead, "kind": sub["kind"], "via": sub["via"]})
                else:
                    store.log("accept", "submission", str(number),
                              f"accepted submission {number} sent by {sub['person']} ({sub['partner']}) "
                              f"through the inbox: {sub['summary']}",
                              {"submitted_by": sub["person"], "partner": sub["partner"], "accepted_by": lead,
                               "kind": sub["kind"], "via": sub["via"], "changes": changes})
        except PartnershipError as exc:
            return {**result, "outcome": "refused", "message": str(exc)}
        return {**result, "outcome": "accepted", "message": changes, "mark": True}

    def _apply(self, sub: dict[str, Any], *, replace: bool, confirm: bool) -> None:
        data = sub["payload"]
        if sub["kind"] == "observation":
            exists = self.p.store.query("SELECT value, source, note FROM observations WHERE indicator = ? "
                                        "AND date = ?", [data["indicator"], data["date"]])
            if exists and tuple(exists[0].values()) == (data["value"], data["source"], data["note"]):
                return
            self.p.measure.observe(data["indicator"], data["value"], date=data["date"],
                                   source=data["source"], note=data["note"], replace=replace,
                                   confirm=confirm)
            return
        if sub["kind"] == "agenda-item":
            if not self.p.store.query("SELECT 1 FROM agenda_items WHERE meeting = ? AND title = ?",
                                      [data["meeting"], data["title"]]):
                self.p.meetings.pitch(data["meeting"], data["title"], kind=data["item_kind"],
                                      outcome=data["outcome"], by=sub["person"])
            return
        if sub["kind"] == "pair-met":
            group = self.p.store.query(
                "SELECT g.met, g.met_on, g.output FROM pairings p JOIN pair_groups g ON g.round = p.round "
                "AND g.number = p.number WHERE p.round = ? AND p.person = ?", [data["round"], sub["person"]])
            if group and group[0]["met"] and (group[0]["met_on"], group[0]["output"]) == (
                    data["met_on"], data["output"]):
                return
            members = [r["person"] for r in self.p.store.query(
                "SELECT o.person FROM pairings me JOIN pairings o ON o.round = me.round AND "
                "o.number = me.number WHERE me.round = ? AND me.person = ? ORDER BY o.person",
                [data["round"], sub["person"]])]
            self.p.pairs.met(data["round"], members or [sub["person"]], output=data["output"],
                             on=data["met_on"])
            return
        if sub["kind"] == "assessment":
            if not self.p.store.query("SELECT 1 FROM assessments WHERE area = ? AND round = ? AND by = ? "
                                      "AND now = ?", [data["area"], data["round"], sub["person"],
                                                      data["now"]]):
                self.p.assess.add(data["area"], now=data["now"], by=sub["person"], want=data["want"],
                                  evidence=data["evidence"], score=data["score"], date=data["date"],
                                  round=data["round"])
            return
        if sub["kind"] == "update":
            if not self.p.store.query("SELECT 1 FROM updates WHERE date = ? AND partner = ? AND text = ?",
                                      [data["date"], sub["partner"], data["text"]]):
                author = sub["person"] if self.p.people.exists(sub["person"]) else None
                self.p.updates.post(sub["partner"], data["text"], outcome=data["outcome"],
                                    date=data["date"], author=author)
            return
        c = self.p.commitments.get(data["commitment"])
        if sub["kind"] == "commitment-delivered":
            if c.state.value == "delivered" and replace:
                self.p.commitments.correct(c.id, delivered_on=data["delivered_on"],
                                           evidence=data["evidence"])
            else:
                self.p.commitments.deliver(c.id, evidence=data["evidence"], date=data["delivered_on"])
        elif sub["kind"] == "commitment-withdrawn":
            if c.state.value == "withdrawn" and replace:
                self.p.commitments.correct(c.id, withdrawn_on=data["withdrawn_on"], reason=data["reason"])
            else:
                self.p.commitments.withdraw(c.id, reason=data["reason"], date=data["withdrawn_on"])
        else:  # pragma: no cover - kinds.check admits no other kind
            raise Conflict(f"submission {sub['id']} is of an unknown kind '{sub['kind']}'")

    def reject(self, ident: Any, *, reason: str) -> dict[str, Any]:
        """Return a pending submission to its sender with ``reason`` (they may revise and resend)."""
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError("say why with --reason: the sender sees it and can put it right")
        if len(reason) > 2000:
            raise ValidationError("the reason is longer than 2,000 characters; shorten it")
        sub = self.get(ident)
        if sub["state"] != "pending":
            raise Conflict(f"submission {sub['id']} is {sub['state']}, not pending; only pending "
                           f"submissions can be returned")
        inboxdb.decide(self._connection(), [sub["id"]], state="returned", by=self.p.store.actor,
                       reason=reason.strip())
        return {**sub, "state": "returned", "reason": reason.strip()}


def parse_id(value: Any) -> int:
    """A submission id written ``12``, ``S-12`` or given as 12."""
    text = str(value).strip()
    if text[:2].lower() == "s-":
        text = text[2:]
    if isinstance(value, bool) or not text.isdigit() or int(text) == 0 or len(text) > 18:
        raise ValidationError(f"'{str(value)[:40]}' is not a submission id; write it like 12 "
                              f"(see 'partnership inbox')")
    return int(text)


def _base_url(base_url: str | None) -> str:
    from .. import validators as v

    base = (base_url or DEFAULT_BASE_URL).strip().rstrip("/")
    problem = v.link_problem(base)
    if problem or not base.startswith(("http://", "https://")):
        raise ValidationError(f"the inbox address must be a web address starting http:// or https:// "
                              f"(got '{base[:80]}')")
    return base
