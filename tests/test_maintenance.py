"""backup and doctor."""

from __future__ import annotations

import json
import sqlite3

import partnership


def test_backup_is_a_consistent_copy(small, run, tmp_path):
    small.close()
    target = tmp_path / "backup.db"
    result = run("backup", str(target))
    assert result.exit_code == 0, result.output
    with partnership.open(target) as copy:
        assert [x.slug for x in copy.partners.list()] == ["lancs-council", "lancs-police"]
        assert copy.store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert not (tmp_path / "backup.db.partial").exists()


def test_backup_while_another_connection_writes(small, tmp_path):
    from partnership.maintenance import backup

    other = partnership.open(small.store.path)
    try:
        with other.store.transaction():
            other.partners.add(slug="ymca", name="YMCA")
            # the writer holds its transaction open while the backup runs
            backup(small, tmp_path / "snap.db")
    finally:
        other.close()
    with partnership.open(tmp_path / "snap.db") as copy:
        assert not copy.partners.exists("ymca")


def test_backup_refuses_bad_targets(small, run, db_path, tmp_path, unchanged):
    small.close()
    with unchanged(db_path):
        same = run("backup", str(db_path))
        missing = run("backup", str(tmp_path / "nope" / "b.db"))
    assert same.exit_code == 1 and "is the database itself" in same.stderr
    assert missing.exit_code == 1 and "does not exist" in missing.stderr


def test_doctor_healthy(demo_path, run):
    result = run("--db", str(demo_path), "doctor", "--json", db=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {r["check"] for r in report} >= {"integrity", "foreign keys", "schema"}
    assert all(r["ok"] for r in report)


def test_doctor_finds_broken_references(small, run, db_path):
    small.close()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("INSERT INTO people (slug, name, partner) VALUES ('ghost', 'Ghost', 'gone')")
    conn.commit()
    conn.close()
    result = run("doctor")
    assert result.exit_code == 1
    assert "PROBLEM" in result.stdout and ("1 row refers to missing rows" in result.stdout
                                           or "rows refer to missing rows" in result.stdout)


def test_doctor_finds_drifted_trend_sums_and_repair_rebuilds_them(demo_path, run):
    run.db = demo_path
    conn = sqlite3.connect(demo_path)
    conn.execute("UPDATE observation_sums SET sy = sy + 0.001 WHERE indicator = 'repeat-victims'")
    conn.commit()
    records = conn.execute("SELECT * FROM observations ORDER BY 1, 2").fetchall()
    conn.close()
    found = run("doctor")
    assert found.exit_code == 1
    assert "trend sums" in found.stdout and "first: repeat-victims" in found.stdout
    fixed = run("doctor", "--repair")
    assert fixed.exit_code == 0, fixed.output
    assert "rebuilt the trend sums" in fixed.stderr
    conn = sqlite3.connect(demo_path)
    assert conn.execute("SELECT * FROM observations ORDER BY 1, 2").fetchall() == records
    conn.close()
    assert run("doctor").exit_code == 0
