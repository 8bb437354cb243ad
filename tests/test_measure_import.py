"""Bulk import of observations from CSV: good rows, bad rows, --skip-bad, the change log."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from partnership.errors import ImportFileError


@pytest.fixture
def m(small):
    small._clock = lambda: dt.date(2026, 11, 1)
    # figures far outside what an indicator has seen are refused (tests/test_mend.py), so
    # each indicator's figures here are near its own baseline and target
    for slug, baseline, target in (("repeat-victims", 412, 330), ("asb-calls", 1412, 1330)):
        small.measure.add_indicator(
            slug, outcome="fewer-repeat-asb", unit="people", direction="down", baseline=baseline,
            baseline_date="2025-04-01", target=target, target_date="2027-03-31")
    return small


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """indicator,date,value,source,note
asb-calls,2025-07-01,1400,Police.uk,
asb-calls,2025-10-01,"1,380",Police.uk,comma as thousands separator
repeat-victims,2025-07-01,400,,
"""


def test_good_file_imports_in_one_transaction_with_one_log_entry(m, tmp_path):
    before = m.store.conn.execute("SELECT count(*) FROM changes").fetchone()[0]
    seen = []
    result = m.measure.import_csv(write(tmp_path / "obs.csv", GOOD), progress=seen.append)
    assert (result.imported, result.indicators, result.rejected) == (3, 2, 0)
    assert seen and seen[-1] == 4  # lines read
    assert [o.value for o in m.measure.series("asb-calls")] == [1400.0, 1380.0]
    assert m.measure.series("asb-calls")[1].note == "comma as thousands separator"
    changes = m.changes()
    assert m.store.conn.execute("SELECT count(*) FROM changes").fetchone()[0] == before + 1
    assert changes[0].action == "import" and changes[0].data["count"] == 3
    assert "imported 3 observations of 2 indicators from obs.csv" == changes[0].summary


def test_every_bad_row_is_reported_and_nothing_written(m, tmp_path, db_path, unchanged):
    text = """indicator,date,value
repeat-victims,2025-07-01,398
repeat-victim,2025-07-01,1
repeat-victims,01/08/2025,2
repeat-victims,2025-09-01,lots
repeat-victims,2030-01-01,3
repeat-victims,2025-10-01,384
repeat-victims,2025-07-01,385
"""
    path = write(tmp_path / "bad.csv", text)
    with unchanged(db_path):
        with pytest.raises(ImportFileError) as err:
            m.measure.import_csv(path)
    problems = err.value.problems
    assert problems[0].startswith(
        "line 3: no indicator 'repeat-victim' in this partnership; did you mean 'repeat-victims'")
    assert problems[1].startswith("line 4: date must be written YYYY-MM-DD")
    assert problems[2].startswith("line 5: value must be a number")
    assert problems[3].startswith("line 6: date 2030-01-01 is in the future")
    # the row repeating a stored date is found in the same pass as the others (issue 17)
    assert problems[4].startswith("line 8: repeat-victims already has an observation on 2025-07-01")
    assert len(problems) == 5
    assert "5 bad rows, nothing was imported" in str(err.value)
    assert "--skip-bad" in str(err.value)


def test_duplicates_are_bad_rows_unless_replace(m, tmp_path, db_path, unchanged):
    m.measure.observe("repeat-victims", 398, date="2025-07-01")
    path = write(tmp_path / "dup.csv", "indicator,date,value\nrepeat-victims,2025-07-01,401\n"
                                       "asb-calls,2025-07-01,1402\nasb-calls,2025-07-01,1403\n")
    with unchanged(db_path):
        with pytest.raises(ImportFileError) as err:
            m.measure.import_csv(path)
    assert err.value.problems[0].startswith("line 2: repeat-victims already has an observation on 2025-07-01")
    assert err.value.problems[1].startswith("line 4: asb-calls already has an observation")
    result = m.measure.import_csv(path, replace=True)
    assert result.imported == 3
    assert [o.value for o in m.measure.series("asb-calls")] == [1403.0]
    assert [o.value for o in m.measure.series("repeat-victims")] == [401.0]


def test_skip_bad_imports_good_rows_and_writes_a_reject_file(m, tmp_path):
    path = write(tmp_path / "mixed.csv", "indicator,date,value\nrepeat-victims,2025-07-01,398\n"
                                         "nope,2025-07-01,1\nrepeat-victims,2025-10-01,x\n"
                                         "asb-calls,2025-07-01,1400\n")
    result = m.measure.import_csv(path, skip_bad=True)
    assert (result.imported, result.rejected) == (2, 2)
    with open(result.reject_path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["line", "problem", "indicator", "date", "value"]
    assert rows[1][0] == "3" and rows[1][2] == "nope"
    assert rows[2][0] == "4" and "value must be a number" in rows[2][1]
    assert "(2 rejected)" in m.changes()[0].summary


def test_batches_larger_than_one(m, tmp_path, monkeypatch):
    import partnership.measurement.csv_import as csv_import

    monkeypatch.setattr(csv_import, "BATCH", 2)
    lines = ["indicator,date,value"] + [
        f"repeat-victims,{dt.date(2025, 5, 1) + dt.timedelta(days=i)},{400 - i}" for i in range(7)]
    lines.append("repeat-victims,2025-05-03,1")  # a duplicate in the fourth batch
    path = write(tmp_path / "many.csv", "\n".join(lines) + "\n")
    result = m.measure.import_csv(path, skip_bad=True, reject_path=tmp_path / "r.csv")
    assert (result.imported, result.rejected) == (7, 1)
    assert len(m.measure.series("repeat-victims")) == 7


@pytest.mark.parametrize("text, message", [
    ("", "is empty"),
    ("indicator,value\nrepeat-victims,1\n", "line 1: missing column date"),
    ("indicator,date,value,colour\n", "unknown column colour"),
])
def test_bad_files(m, tmp_path, text, message):
    with pytest.raises(ImportFileError) as err:
        m.measure.import_csv(write(tmp_path / "f.csv", text))
    assert message in str(err.value) and "f.csv" in str(err.value)


def test_missing_or_binary_file(m, tmp_path):
    with pytest.raises(ImportFileError, match="no file"):
        m.measure.import_csv(tmp_path / "missing.csv")
    (tmp_path / "bin.csv").write_bytes(b"indicator,date,value\n\xff\xfe\x00\n")
    with pytest.raises(ImportFileError, match="CSV UTF-8"):
        m.measure.import_csv(tmp_path / "bin.csv")


def test_cli_import(small, run, tmp_path, db_path, unchanged, monkeypatch):
    m = small
    m.measure.add_indicator("repeat-victims", outcome="fewer-repeat-asb", unit="people",
                            direction="down", baseline=412, baseline_date="2025-04-01", target=330,
                            target_date="2027-03-31")
    m.close()
    monkeypatch.setenv("PARTNERSHIP_TODAY", "2026-11-01")
    bad = write(tmp_path / "bad.csv",
                "indicator,date,value\nrepeat-victims,2025-07-01,401\nrepeat-victims,x,2\n")
    with unchanged(db_path):
        r = run("observe", "--csv", str(bad))
    assert r.exit_code == 1 and "line 3: date must be written" in r.stderr
    assert r.stderr.count("\n") == 1
    with unchanged(db_path):
        r = run("observe", "--csv", str(tmp_path / "nope.csv"))
    assert r.exit_code == 1 and "no file" in r.stderr
    with unchanged(db_path):
        r = run("observe", "repeat-victims", "1", "--csv", str(bad))
    assert r.exit_code == 2 and "not both" in r.stderr
    r = run("observe", "--csv", str(bad), "--skip-bad", "--reject-file", str(tmp_path / "rej.csv"))
    assert r.exit_code == 0
    assert "imported 1 observation " in r.stderr and "1 bad row written to" in r.stderr
    assert (tmp_path / "rej.csv").exists()
    good = write(tmp_path / "good.csv", "indicator,date,value\nrepeat-victims,2025-10-01,380\n")
    r = run("observe", "--csv", str(good))
    assert r.exit_code == 0 and "imported 1 observation of 1 indicator" in r.stderr
