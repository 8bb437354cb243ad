"""Hostile input to every write command of every step, through the command line.

Arbitrary text, numbers, dates, slugs and CSV files (unicode, control characters,
huge values, SQL fragments, empty fields) against a copy of the demo partnership:

- no traceback, ever;
- exit status 0, or 1 with one line starting 'Error:' (2 only for click's own usage
  errors, which print the usage and one 'Error:' line);
- on error the database file is byte-for-byte unchanged;
- what a command accepts does not break reading: 'check' and 'export' still run.

The core commands are covered in tests/test_hostile.py. ``REL_HOSTILE_EXAMPLES`` sets
the examples per group (default 60; bench/reliability.py reports the count).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partnership.cli import cli

EXAMPLES = int(os.environ.get("REL_HOSTILE_EXAMPLES", "60"))

FRAGMENTS = ["", " ", "'; DROP TABLE observations; --", "\" OR 1=1 --", "<script>alert(1)</script>",
             "1e309", "-1e309", "-0", "NaN", "nan", "inf", "-inf", "9" * 400, "0x10", "1_000",
             "\u202e\u0000x", "\x1b[31mred", "\n\r\t", "ß→🙂", "a" * 5000, "%s %d {0}", "../../etc/passwd",
             "2026-02-30", "0000-00-00", "9999-12-31", "0001-01-01", "2026-1-1", "26/02/2026", "-1",
             "0", "3.5", "1,2", ",,,", "null", "None", "true"]
SLUGS = ["county-police", "bay-health", "good-neighbours", "ann-marsh", "ben-clarke", "jo-bloggs",
         "fewer-repeat-asb", "safer-night-time", "fewer-home-fire-injuries", "repeat-victims",
         "patrol-hours", "frail-referrals", "asb-casework", "board-2026-03", "board-2026-01",
         "capacity", "2026-03", "16", "up", "why", "people", "FTE", "decision"]

text = st.text(max_size=30)
numbers = st.one_of(
    st.integers(-10**30, 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=True).map(str),
)
dates = st.one_of(st.dates().map(lambda d: d.isoformat()),
                  st.dates().map(lambda d: d.strftime("%d/%m/%Y")))
value = st.one_of(text, numbers, dates, st.sampled_from(FRAGMENTS), st.sampled_from(SLUGS))

# one template per write command: a, b, c are hostile values
GROUPS: dict[str, list] = {
    "gaps": [
        lambda a, b, c: ["need", "add", "fewer-home-fire-injuries", a, "--kind", b, "--amount", c,
                         "--unit", "FTE", "--description", a],
        lambda a, b, c: ["need", "add", a, "new-need", "--amount", b, "--unit", c, "--essential"],
        lambda a, b, c: ["need", "update", "fewer-home-fire-injuries", "frail-referrals",
                         "--amount", a, "--unit", b, "--kind", c],
        lambda a, b, c: ["need", "remove", a, b],
        lambda a, b, c: ["capacity", "set", "county-police", "--kind", a, "--amount", b, "--unit", c],
        lambda a, b, c: ["capacity", "set", a, "--kind", "people", "--amount", b, "--unit", c,
                         "--note", a],
        lambda a, b, c: ["gap", "seek", a, b, "--candidate", c],
        lambda a, b, c: ["gap", "seek", "fewer-home-fire-injuries", "frail-referrals",
                         "--candidate", a, "--note", b],
        lambda a, b, c: ["gap", "fill", "fewer-home-fire-injuries", "frail-referrals", "--by", a,
                         "--note", b],
        lambda a, b, c: ["gap", "accept", a, b, "--reason", c],
        lambda a, b, c: ["gap", "reopen", a, b],
    ],
    "measure": [
        lambda a, b, c: ["indicator", "add", a, "--outcome", "fewer-repeat-asb", "--unit", b,
                         "--direction", "up", "--baseline", c, "--baseline-date", "2024-01-01",
                         "--target", "10", "--target-date", "2027-01-01"],
        lambda a, b, c: ["indicator", "add", "new-ind", "--outcome", a, "--unit", "people",
                         "--direction", "down", "--baseline", "5", "--baseline-date", b,
                         "--target", c, "--target-date", a, "--pivot-after", b, "--frequency", c],
        lambda a, b, c: ["indicator", "update", "repeat-victims", "--baseline", a, "--target", b,
                         "--target-date", c],
        lambda a, b, c: ["indicator", "update", a, "--title", b, "--metric", c, "--rba", a],
        lambda a, b, c: ["activity", "add", a, "--outcome", "fewer-repeat-asb", "--partner",
                         "county-police", "--title", b, "--start", c],
        lambda a, b, c: ["activity", "add", "new-act", "--outcome", a, "--partner", b,
                         "--status", c, "--end", a],
        lambda a, b, c: ["observe", "repeat-victims", a, "--date", b, "--source", c],
        lambda a, b, c: ["observe", a, b, "--date", c, "--replace"],
        lambda a, b, c: ["observe", "patrol-hours", "12", "--date", a, "--note", b],
        lambda a, b, c: ["story", "add", "repeat-victims", a, "--kind", b, "--date", c],
        lambda a, b, c: ["story", "add", a, b, "--author", c],
        lambda a, b, c: ["indicator", "remove", a],
    ],
    "commitments": [
        lambda a, b, c: ["commit", "county-police", a, "--due", b, "--created", c],
        lambda a, b, c: ["commit", a, b, "--due", c, "--additional"],
        lambda a, b, c: ["commit", "county-police", "do it", "--due", "2026-06-01", "--owner", a,
                         "--outcome", b, "--activity", c],
        lambda a, b, c: ["commitment", "deliver", "16", "--evidence", a, "--date", b],
        lambda a, b, c: ["commitment", "deliver", a, "--evidence", b, "--date", c],
        lambda a, b, c: ["commitment", "withdraw", "19", "--reason", a, "--date", b],
        lambda a, b, c: ["commitment", "correct", "20", "--what", a, "--due", b, "--owner", c],
        lambda a, b, c: ["commitment", "correct", a, "--partner", b, "--created", c],
        lambda a, b, c: ["commitment", "correct", "3", "--delivered-on", a, "--evidence", b,
                         "--withdrawn-on", c],
    ],
    "meetings": [
        lambda a, b, c: ["meeting", "propose", a, "--date", b, "--minutes", c],
        lambda a, b, c: ["meeting", "propose", "new-meeting", "--date", "2026-05-01", "--minutes", "60",
                         "--invite", a, "--title", b, "--chair", c],
        lambda a, b, c: ["meeting", "invite", "board-2026-03", a],
        lambda a, b, c: ["meeting", "uninvite", a, b],
        lambda a, b, c: ["meeting", "record", "board-2026-03", "--attended", a, "--decision", b,
                         "--action", c],
        lambda a, b, c: ["meeting", "record", a, "--attended", "ann-marsh", "--note", b],
        lambda a, b, c: ["meeting", "cancel", a],
        lambda a, b, c: ["meeting", "trim", a],
        lambda a, b, c: ["agenda", "pitch", "board-2026-03", a, "--kind", b, "--outcome", c],
        lambda a, b, c: ["agenda", "pitch", a, b, "--needs", c, "--by", a],
        lambda a, b, c: ["agenda", "drop", a],
        lambda a, b, c: ["update", "post", "county-police", a, "--outcome", b, "--date", c],
        lambda a, b, c: ["update", "post", a, b, "--outcome", "fewer-repeat-asb", "--by", c],
    ],
    "pairs-assess-governance": [
        lambda a, b, c: ["pairs", "join", a, b],
        lambda a, b, c: ["pairs", "leave", a],
        lambda a, b, c: ["pairs", "pause", a, "--until", b],
        lambda a, b, c: ["pairs", "draw", "--round", a, "--seed", b, "--avoid-rounds", c],
        lambda a, b, c: ["pairs", "met", a, b, c, "--output", a, "--on", b],
        lambda a, b, c: ["pairs", "met", "2026-03", a, b, "--on", c],
        lambda a, b, c: ["assess", "add", a, "--now", b, "--by", c],
        lambda a, b, c: ["assess", "add", "capacity", "--now", a, "--score", b, "--by", "ann-marsh",
                         "--date", c, "--round", a],
        lambda a, b, c: ["assess", "add", "culture", "--now", "ok", "--want", a, "--evidence", b,
                         "--by", "jo-bloggs", "--outcome", c],
        lambda a, b, c: ["assess", "areas", "add", a, b],
        lambda a, b, c: ["governance", "answer", a, b, "--on", c],
        lambda a, b, c: ["governance", "answer", "1", a, "--by", b],
    ],
}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_well_behaved(result, path: Path, before: str) -> None:
    output = (result.stdout or "") + (result.stderr or "")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    if result.exit_code == 0:
        return
    assert result.exit_code in (1, 2), result.exit_code
    assert digest(path) == before, "a failed command changed the database"
    err = result.stderr.strip()
    assert err, "an error must say something"
    if result.exit_code == 1:
        # one line, or for an import with several problems: a headline, then one indented
        # line per problem (the first 20, then a count: partnership.cli.problems)
        lines = err.splitlines()
        assert lines[0].startswith("Error:"), err
        assert len(lines) == 1 or ("problems" in lines[0] and len(lines) <= 22
                                   and all(line.startswith("  ") for line in lines[1:])), err
    else:  # click's usage error: usage, a hint, then one 'Error:' line
        assert err.splitlines()[-1].startswith("Error:"), err


def still_readable(path: Path) -> None:
    """What was accepted does not break the file or the commands that read it."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert not conn.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        conn.close()
    runner = CliRunner()
    for args in (["check"], ["export"]):
        r = runner.invoke(cli, ["--db", str(path), *args])
        assert r.exception is None or isinstance(r.exception, SystemExit), (args, repr(r.exception))
        assert r.exit_code in (0, 1) and "Traceback" not in r.output, (args, r.output[-500:])


@pytest.fixture(scope="module")
def base(_demo_template) -> Path:
    return _demo_template


@pytest.mark.slow
@pytest.mark.parametrize("group", sorted(GROUPS))
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), a=value, b=value, c=value)
def test_every_write_command_survives_hostile_input(base, tmp_path, group, data, a, b, c):
    templates = GROUPS[group]
    which = data.draw(st.integers(0, len(templates) - 1), label="command")
    path = tmp_path / "h.db"
    path.write_bytes(base.read_bytes())
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    before = digest(path)
    result = CliRunner().invoke(cli, ["--db", str(path), *templates[which](a, b, c)])
    assert_well_behaved(result, path, before)
    if result.exit_code == 0:
        still_readable(path)


cells = st.one_of(value, st.just("repeat-victims"), st.just("patrol-hours"),
                  st.dates().map(str), st.integers(-5, 10**6).map(str))
rows = st.lists(st.lists(cells, min_size=0, max_size=6), min_size=0, max_size=8)
headers = st.one_of(st.just(["indicator", "date", "value", "source", "note"]),
                    st.just(["indicator", "date", "value"]),
                    st.lists(st.sampled_from(["indicator", "date", "value", "source", "note", "x", ""]),
                             max_size=6),
                    st.lists(text, max_size=4))


@st.composite
def csv_bytes(draw) -> bytes:
    """A CSV file: a header and rows of hostile cells, or raw bytes, in some encoding."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=draw(st.sampled_from([",", ",", ";", "\t"])))
    writer.writerow(draw(headers))
    for row in draw(rows):
        writer.writerow(row)
    content = buffer.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    return content.encode(encoding, errors="replace")


@pytest.mark.slow
@settings(max_examples=EXAMPLES * 2, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(content=csv_bytes(), mode=st.sampled_from(["all", "skip-bad", "replace", "import"]))
def test_csv_files_survive_hostile_content(base, tmp_path, content, mode):
    path = tmp_path / "h.db"
    path.write_bytes(base.read_bytes())
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    before = digest(path)
    source = tmp_path / "observations.csv"
    source.write_bytes(content)
    args = {"all": ["observe", "--csv", str(source)],
            "skip-bad": ["observe", "--csv", str(source), "--skip-bad"],
            "replace": ["observe", "--csv", str(source), "--replace"],
            "import": ["import", str(source), "--section", "partners"]}[mode]
    result = CliRunner().invoke(cli, ["--db", str(path), *args])
    assert_well_behaved(result, path, before)
    if result.exit_code == 0:
        still_readable(path)


# -- files a command writes ---------------------------------------------------------------------
#
# Every option naming a file to write, given hostile paths: the database by any name (its
# WAL/SHM/journal, a link, a hard link, another spelling), links (to the database, dangling,
# to a precious file elsewhere), planted temporary files that are links, folders, missing
# folders, hostile file names. One-line error or success, never a traceback; the database
# as it was (byte for byte on error; the same rows on success); nothing written through a link.

OUTPUT_COMMANDS = {
    "export": lambda out, src: ["export", "-o", out],
    "export-csv": lambda out, src: ["export", "--format", "csv", "--section", "people", "-o", out],
    "reject-file": lambda out, src: ["observe", "--csv", src, "--skip-bad", "--reject-file", out],
    "backup": lambda out, src: ["backup", out],
    "publish": lambda out, src: ["publish", out, "--no-refresh"],
    "contacts": lambda out, src: ["pairs", "contacts", "2026-03", "--csv", out],
    "demo": lambda out, src: ["demo", out],
    "xlsx": lambda out, src: ["export", "--format", "xlsx", "-o", out],
    "errors-file": lambda out, src: ["observe", "--csv", src, "--errors", out],
    "report": lambda out, src: ["report", "-o", out],
    "invite-links": lambda out, src: ["invite", "--all", "--csv", out],
    "returns": lambda out, src: ["returns", "make", "--partner", "bay-health", "-o", out],
    "commitments-csv": lambda out, src: ["commitments", "--csv", out],
    "remind-out": lambda out, src: ["remind", "--out", out, "--from", "lead@example.org"],
}
#: commands that also write the record (what they import, a round made, links or reminders given)
WRITES_RECORD = {"reject-file", "returns", "invite-links", "remind-out"}
#: commands that read ``src``: writing their output over it is refused like writing the database
READS_SOURCE = {"reject-file", "errors-file"}
#: targets that are the working database (or the file read) by another name: always refused
PROTECTED_KINDS = ["database", "wal", "shm", "journal", "dotted", "link-to-database", "link-to-wal",
                   "hard-link", "input"]
TARGET_KINDS = PROTECTED_KINDS + ["dangling-link", "link-to-victim", "planted-partial",
                                  "planted-temp", "folder", "missing-folder", "under-a-file",
                                  "unrelated-file", "fresh"]
file_names = st.one_of(
    st.sampled_from([f for f in FRAGMENTS if f and "/" not in f and "\x00" not in f]),
    st.text(st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
            min_size=1, max_size=40),
    st.just("n" * 300))


def logical_dump(path: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


@pytest.fixture(scope="module")
def base_dump(base, tmp_path_factory) -> tuple[str, list[str]]:
    """The digest and logical dump of a copy of ``base``: each example below starts from a
    byte-for-byte copy (checked by its digest), so its dump is this one, made once rather
    than per example (about a fifth of the test's time)."""
    copy = tmp_path_factory.mktemp("base-dump") / "h.db"
    copy.write_bytes(base.read_bytes())
    return digest(copy), logical_dump(copy)


@pytest.fixture(scope="module")
def dead_pid() -> int:
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    return gone.pid


@pytest.mark.slow
@settings(max_examples=EXAMPLES * 2, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(command=st.sampled_from(sorted(OUTPUT_COMMANDS)), kind=st.sampled_from(TARGET_KINDS),
       force=st.booleans(), name=file_names)
def test_every_output_file_survives_hostile_paths(base, base_dump, tmp_path, dead_pid, command, kind,
                                                  force, name):
    import tempfile

    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    db = folder / "h.db"
    db.write_bytes(base.read_bytes())
    source = folder / "obs.csv"
    source.write_text("indicator,date,value\nrepeat-victims,2025-07-02,3\nnope,2025-07-01,1\n")
    elsewhere = folder / "elsewhere"
    elsewhere.mkdir()
    victim = elsewhere / "precious.txt"
    victim.write_text("the only copy\n")
    (folder / "sub").mkdir()
    (folder / "afile").write_text("a file")
    out = folder / "out.file"
    links: dict[Path, Path] = {}

    def link(at: Path, to: Path) -> Path:
        at.symlink_to(to)
        links[at] = to
        return at

    if kind == "hard-link":
        os.link(db, folder / "hard.db")
    if kind in ("planted-partial", "planted-temp"):
        link(Path(str(out) + ".partial"), victim)
        link(folder / f".out.file.partnership-tmp-{dead_pid}-0abc", victim)
        link(folder / f".out.file.partnership-tmp-{os.getpid()}-0abc", victim)
    if kind == "unrelated-file":
        out.write_text("my own notes\n")
    target = {
        "database": db, "wal": Path(f"{db}-wal"), "shm": Path(f"{db}-shm"),
        "journal": Path(f"{db}-journal"), "dotted": folder / "." / "sub" / ".." / "h.db",
        "link-to-database": folder / "l.db", "link-to-wal": folder / "lw.db",
        "hard-link": folder / "hard.db", "input": source,
        "dangling-link": folder / "dangling", "link-to-victim": folder / "lv",
        "planted-partial": out, "planted-temp": out, "folder": folder / "sub",
        "missing-folder": folder / "nope" / "out.file", "under-a-file": folder / "afile" / "x",
        "unrelated-file": out, "fresh": folder / name,
    }[kind]
    if kind == "link-to-database":
        link(target, db)
    elif kind == "link-to-wal":
        link(target, Path(f"{db}-wal"))
    elif kind == "dangling-link":
        link(target, folder / "nowhere")
    elif kind == "link-to-victim":
        link(target, victim)
    before, rows = base_dump
    assert digest(db) == before, "each example starts from a copy of the base file"
    args = OUTPUT_COMMANDS[command](str(target), str(source)) + (["--force"] if force else [])
    result = CliRunner().invoke(cli, ["--db", str(db), *args])
    assert_well_behaved(result, db, before)
    protected = kind in PROTECTED_KINDS and (kind != "input" or command in READS_SOURCE)
    if protected:
        assert result.exit_code != 0, f"{command} wrote over {kind}: {result.output}"
        assert digest(db) == before
    if command not in WRITES_RECORD:
        assert logical_dump(db) == rows
    # nothing written through a link: the precious file as it was, links still links
    assert victim.read_text() == "the only copy\n"
    assert not (folder / "nowhere").exists()
    for at, to in links.items():
        if at == target and force and result.exit_code == 0:
            continue  # --force replaced the link itself
        if at.name.startswith(f".out.file.partnership-tmp-{dead_pid}-") and not at.is_symlink():
            continue  # an abandoned temporary file, removed (never followed)
        assert at.is_symlink() and os.readlink(at) == str(to), at
    if not force or command in READS_SOURCE:  # the file read is never written; others only
        assert source.read_bytes().endswith(b"nope,2025-07-01,1\n")  # replaced with --force
    if kind == "unrelated-file" and not force:
        assert out.read_text() == "my own notes\n"
    # no temporary file of this process left behind
    own = f"partnership-tmp-{os.getpid()}-"
    assert not [f for f in folder.iterdir()
                if own in f.name and f.name != f".out.file.{own}0abc"]
