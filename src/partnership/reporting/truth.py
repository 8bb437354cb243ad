"""What the public page must not leave out, materialised while publishing.

Two things the public file cannot compute from its own tables, because they need the
working file's full record (the checks) or the change log's data (the words):

* **the findings of the checks** (``check_findings``): every current problem and warning
  of ``partnership check``, as public facts only: the rule, the step, how serious, what
  it is about and what is wrong, with the names and slugs of people and every private
  value of the record (emails, phones) taken out, and without the advice (the commands
  a lead types). Written by :func:`write_findings`;
* **the latest changes in plain English** (``change_news``): the newest
  :data:`NEWS_CHANGES` entries of the change log, grouped per day and worded by
  :mod:`partnership.narrative` with the public names of the public file (never a
  private field; entries of records that are not public stay counts). Written by
  :func:`write_news`.

Both are written into temporary tables of the publishing connection
(``temp.partnership_findings``, ``temp.partnership_news``) while the working file is
still attached; the public tables of the same names without the prefix are then
created from them by :mod:`partnership.reporting.public` like every other public table,
so they are described, guarded and listed like the rest. The temporary tables are not
part of the file.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..checks import Finding, Severity

if TYPE_CHECKING:
    from ..api import Partnership

#: how many of the newest change-log entries the public news is worded from (the page
#: shows a few, the feed thirty; the whole log is one click away in ``changes``)
NEWS_CHANGES = 2000

FINDINGS_TEMP = "partnership_findings"
NEWS_TEMP = "partnership_news"

#: the columns of the public findings (``partnership.reporting.public`` describes them)
FINDING_COLUMNS = ("id", "step", "severity", "rule", "subject", "message")
NEWS_COLUMNS = ("id", "at", "day", "text", "changes", "action", "entity", "first_change", "last_change")

#: how a person is shown in a public finding
SOMEONE = "someone"


def _private_words(conn: sqlite3.Connection, p: Partnership) -> list[str]:
    """Every text a public finding may not hold: people's slugs and names, and each
    private value of the record (longest first, so a name goes before its slug)."""
    words = {str(v) for r in conn.execute("SELECT slug, name FROM src.people") for v in r if v}
    words.update(_raw_private_values(p))
    return sorted(words, key=len, reverse=True)


def _raw_private_values(p: Partnership) -> set[str]:
    """The values of every private field of the record (a person's email and phone...);
    a private field that refers to another row holds a public slug, and is skipped."""
    import attrs

    from ..records import entity_of

    found: set[str] = set()
    tables = {r[0] for r in p.store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for model in p.registry.models:
        table = entity_of(model).table
        if table not in tables:
            continue
        for a in attrs.fields(model):
            if a.metadata.get("private") and not a.metadata.get("ref"):
                found.update(str(v) for (v,) in p.store.conn.execute(
                    f'SELECT DISTINCT "{a.name}" FROM "{table}" WHERE "{a.name}" IS NOT NULL') if v)
    return found


class Scrubber:
    """Takes ``words`` out of texts (see :meth:`scrub`); built once per publish."""

    def __init__(self, words: list[str]) -> None:
        #: longest first, so a name goes before a part of it
        self.words = sorted({w.casefold() for w in words if w.strip()}, key=len, reverse=True)
        self._patterns: dict[tuple[str, ...], re.Pattern[str]] = {}
        # a word is only replaced where it starts a run of word characters and hyphens of
        # the text, and that run is then the word's own first run: so each word is looked
        # for only in the texts that hold its first run (a set lookup, not a scan of every
        # word per text). Words that start otherwise, or are not plain ASCII, are looked for
        # in every text; so is every word in a text that is not plain ASCII.
        self._by_run: dict[str, list[int]] = {}
        self._always: list[int] = []
        for i, w in enumerate(self.words):
            first = _RUN.match(w)
            if first and w.isascii():
                self._by_run.setdefault(first.group(), []).append(i)
            else:
                self._always.append(i)
        self._runs = frozenset(self._by_run)

    def scrub(self, text: str) -> str:
        """``text`` with every word replaced by "someone" (whole words only), and a
        parenthesis that held only such words left out: "C-16 by bay-health (ann-marsh)
        was due" -> "C-16 by bay-health was due"."""
        folded = text.casefold()
        if text.isascii():  # (a text that is not: every word, as case folding may move letters)
            hits = self._runs.intersection(_RUN.findall(folded))  # (in C: most texts have none)
            if not hits and not self._always:
                return text
            found = [i for run in hits for i in self._by_run[run]]
            found.extend(self._always)
            found.sort()  # longest first, as in self.words
            candidates = [self.words[i] for i in found]
        else:
            candidates = self.words
        present = tuple(w for w in candidates if w in folded)  # most texts hold none
        if not present:
            return text
        pattern = self._patterns.get(present)
        if pattern is None:
            pattern = self._patterns[present] = re.compile(
                r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in present) + r")(?![\w-])",
                re.IGNORECASE)
        return _EMPTIED.sub("", pattern.sub(SOMEONE, text))


#: a run of word characters and hyphens: where a word to take out can start and end
_RUN = re.compile(r"[\w-]+")
_EMPTIED = re.compile(rf"\s*\((?:{SOMEONE}(?:,\s*)?)+\)")


def scrub(text: str, words: list[str]) -> str:
    """``text`` without ``words`` (see :class:`Scrubber`)."""
    return Scrubber(words).scrub(text)


def public_findings(p: Partnership, conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The problems and warnings of ``partnership check``, as the public may read them."""
    return [dict(zip(FINDING_COLUMNS, row, strict=True)) for row in _finding_rows(p, conn)]


def _finding_rows(p: Partnership, conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
    """:func:`public_findings` as rows of :data:`FINDING_COLUMNS`: problems first, then
    warnings, each by step (none last), rule and subject, numbered from 1."""
    scrubber = Scrubber(_private_words(conn, p))
    problems: list[Finding] = []
    warnings: list[Finding] = []
    for f in p.check():
        if f.severity == Severity.PROBLEM:
            problems.append(f)
        elif f.severity == Severity.WARNING:
            warnings.append(f)
    rows: list[tuple[Any, ...]] = []
    subjects: dict[str, str] = {}  # a subject has many findings ("outcome outcome-7")
    for severity, found in ((str(Severity.PROBLEM), problems), (str(Severity.WARNING), warnings)):
        found.sort(key=lambda f: (f.step or 99, f.rule, f.subject))  # (stable, as check's order)
        for f in found:
            subject = subjects.get(f.subject)
            if subject is None:
                subject = scrubber.scrub(f.subject)
                if subject.startswith("person "):
                    subject = "a person"
                subjects[f.subject] = subject
            rows.append((len(rows) + 1, f.step or None, severity, f.rule, subject,
                         scrubber.scrub(f.message)))
    return rows


def write_findings(p: Partnership, conn: sqlite3.Connection) -> int:
    """Write the public findings into ``temp.partnership_findings`` on ``conn`` (the
    publishing connection, with the working file attached as ``src``)."""
    rows = _finding_rows(p, conn)
    conn.execute(f"DROP TABLE IF EXISTS temp.{FINDINGS_TEMP}")
    conn.execute(f"CREATE TEMP TABLE {FINDINGS_TEMP} (id INTEGER PRIMARY KEY, step INTEGER, "
                 "severity TEXT NOT NULL, rule TEXT NOT NULL, subject TEXT NOT NULL, message TEXT NOT NULL)")
    conn.executemany(f"INSERT INTO temp.{FINDINGS_TEMP} VALUES (?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def write_news(conn: sqlite3.Connection, *, limit: int = NEWS_CHANGES) -> int:
    """Word the newest ``limit`` entries of the public change log into
    ``temp.partnership_news`` on ``conn``, after ``main.changes`` has been copied and
    reduced (entries of records that are not public are counts) and while the working
    file is attached as ``src`` (its entries' data give the words)."""
    from ..narrative import stories

    conn.execute(f"DROP TABLE IF EXISTS temp.{NEWS_TEMP}")
    conn.execute(f"CREATE TEMP TABLE {NEWS_TEMP} (id INTEGER PRIMARY KEY, at TEXT, day TEXT, text TEXT, "
                 "changes INTEGER, action TEXT, entity TEXT, first_change INTEGER, last_change INTEGER)")
    if not conn.execute("SELECT 1 FROM main.sqlite_master WHERE name = 'changes'").fetchone():
        return 0
    names = PublicNames(conn)  # the public file's own tables: public names only
    cur = conn.execute(
        """SELECT m.id, m.at, m.action, m.entity, m.key, m.summary,
                  CASE WHEN m.key = '-' THEN NULL ELSE s.data END AS data
           FROM main.changes m LEFT JOIN src.changes s ON s.id = m.id
           ORDER BY m.id DESC LIMIT ?""", [limit])
    cols = [d[0] for d in cur.description]
    rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    told = stories(rows, names, public=True, by_day=True)
    conn.executemany(
        f"INSERT INTO temp.{NEWS_TEMP} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [[n, s.at, s.at[:10], s.text, s.count, s.action, s.entity, s.first_id, s.last_id]
         for n, s in enumerate(told, 1)])
    return len(told)


class PublicNames(Mapping[str, Mapping[Any, str]]):
    """The names :func:`partnership.narrative.stories` asks for, read from the public tables
    (``main``) of ``conn`` one at a time, when asked: the same names as
    :func:`partnership.narrative.read_names` gives, without reading every name of every
    table first (at 10,000 indicators and 25,000 needs that costs more than wording the
    :data:`NEWS_CHANGES` newest entries)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        from ..narrative import NAME_SOURCES

        self.conn = conn
        tables = {r[0] for r in conn.execute(
            "SELECT name FROM main.sqlite_master WHERE type IN ('table', 'view')")}
        self._lookups: dict[str, Mapping[Any, str]] = {
            kind: _NameLookup(conn, table, key, name) if table in tables else {}
            for kind, (table, key, name) in NAME_SOURCES.items()}
        self._lookups["need"] = _NeedLookup(conn) if "needs" in tables else {}

    def __getitem__(self, kind: str) -> Mapping[Any, str]:
        return self._lookups[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._lookups)

    def __len__(self) -> int:
        return len(self._lookups)


class _NameLookup(Mapping[Any, str]):
    """One kind's names (see :class:`PublicNames`): ``get(key)`` finds what
    ``read_names`` maps ``key`` to: the name of the row whose key is ``key``, or whose key
    is not text and reads as ``key`` (ids arrive as text in change-log keys); never None."""

    def __init__(self, conn: sqlite3.Connection, table: str, key: str, name: str) -> None:
        self.conn = conn
        self.sql = f'SELECT "{key}", "{name}" FROM main."{table}" WHERE "{key}" = ?'
        self.cache: dict[Any, str | None] = {}

    def _find(self, key: Any) -> str | None:
        if key in self.cache:
            return self.cache[key]
        found = None
        try:
            # SQLite's comparison finds every candidate (and, by a column's collation or
            # affinity, perhaps more); Python's equality decides, as the dictionary did
            for k, v in self.conn.execute(self.sql, [key]).fetchall():
                if v is not None and (k == key or (not isinstance(k, str) and str(k) == key)):
                    found = v
        except (sqlite3.Error, OverflowError):  # an older file without the column; a key too big
            found = None
        self.cache[key] = found
        return found

    def __getitem__(self, key: Any) -> str:
        found = self._find(key)
        if found is None:
            raise KeyError(key)
        return found

    def __bool__(self) -> bool:
        return True  # (without counting the rows)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def _all(self) -> dict[Any, str]:
        select = self.sql.rsplit(" WHERE ", 1)[0]
        rows = self.conn.execute(select).fetchall()
        found = {k: v for k, v in rows if v is not None}
        found.update({str(k): v for k, v in rows if v is not None and not isinstance(k, str)})
        return found


class _NeedLookup(_NameLookup):
    """The needs' descriptions, keyed "outcome/need" as the change log writes them."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__(conn, "needs", "outcome", "description")
        self.sql = 'SELECT outcome, slug, description FROM main.needs WHERE outcome = ? AND slug = ?'

    def _find(self, key: Any) -> str | None:
        if key in self.cache:
            return self.cache[key]
        found = None
        if isinstance(key, str):
            try:
                for at in [i for i, c in enumerate(key) if c == "/"]:
                    for o, n, d in self.conn.execute(self.sql, [key[:at], key[at + 1:]]).fetchall():
                        if d and f"{o}/{n}" == key:
                            found = d
            except sqlite3.Error:
                found = None
        self.cache[key] = found
        return found

    def _all(self) -> dict[Any, str]:
        return {f"{o}/{n}": d for o, n, d in self.conn.execute(
            "SELECT outcome, slug, description FROM main.needs") if d}
