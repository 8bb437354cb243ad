"""Large CSV imports of observations: the column-at-a-time path reads every row exactly
as the row-by-row path does, and the trend sums kept at the end of a large import equal
a fresh computation (issue 19)."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import random
import shutil
from pathlib import Path

import pytest

import partnership
import partnership.measurement.csv_import as csv_import
from partnership.errors import ImportFileError

TODAY = dt.date(2026, 11, 1)
#: the same expressions as partnership doctor's check of the sums (maintenance._FRESH_SUMS)
FRESH = """SELECT indicator, count(*), sum(day - 730000), sum(value), sum((day - 730000) * value),
                  sum((day - 730000) * (day - 730000)) FROM observations GROUP BY indicator"""
INDICATORS = ("repeat-victims", "asb-calls", "fly-tipping")


def make(path: Path, template: Path) -> partnership.Partnership:
    shutil.copyfile(template, path)
    p = partnership.create(path, name="Bulk", governance="alliance")
    p._clock = lambda: TODAY
    p.partners.add(slug="council", name="Council", kind="council")
    p.outcomes.add(slug="safer", title="People are safer")
    for slug, baseline, target in zip(INDICATORS, (412, 1412, 90), (330, 1330, 60), strict=True):
        p.measure.add_indicator(slug, outcome="safer", unit="people", direction="down",
                                baseline=baseline, baseline_date="1990-01-01", target=target,
                                target_date="2030-01-01")
    return p


def big_csv(path: Path, rows: int, *, start: dt.date = dt.date(1995, 1, 1), seed: int = 1) -> Path:
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["indicator", "date", "value", "source"])
        per = rows // len(INDICATORS)
        for slug, level in zip(INDICATORS, (400, 1400, 80), strict=True):
            for i in range(per):
                w.writerow([slug, (start + dt.timedelta(days=i)).isoformat(),
                            f"{level + rng.uniform(-5, 5):.3f}", "police.uk"])
    return path


def sums(p: partnership.Partnership) -> dict[str, tuple[object, ...]]:
    return {r[0]: tuple(r[1:]) for r in p.store.conn.execute(
        "SELECT indicator, n, sd, sy, sdy, sdd FROM observation_sums WHERE n != 0")}


def fresh(p: partnership.Partnership) -> dict[str, tuple[object, ...]]:
    return {r[0]: tuple(r[1:]) for r in p.store.conn.execute(FRESH)}


def trigger_sql(p: partnership.Partnership) -> str:
    return str(p.store.conn.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'observations_sums_insert'").fetchone()[0])


def traced(p: partnership.Partnership) -> list[str]:
    statements: list[str] = []
    p.store.conn.set_trace_callback(statements.append)
    return statements


@pytest.mark.parametrize("replace", [False, True])
def test_large_import_keeps_sums_equal_to_a_fresh_computation(tmp_path, migrated_template, replace):
    p = make(tmp_path / "p.db", migrated_template)
    # figures already there, some on dates the file has too (replaced with --replace)
    p.measure.observe("repeat-victims", 401, date="1995-01-02")
    p.measure.observe("asb-calls", 1401, date="1994-12-01")
    p.measure.observe("fly-tipping", 81, date="1994-12-01")  # not in the file's dates
    before = trigger_sql(p)
    statements = traced(p)
    path = big_csv(tmp_path / "big.csv", 9000)
    if not replace:  # the repeated date is a bad row; the rest go in
        result = p.measure.import_csv(path, skip_bad=True, reject_path=tmp_path / "r.csv")
        assert (result.imported, result.rejected) == (8999, 1)
    else:
        assert p.measure.import_csv(path, replace=True).imported == 9000
    # the trigger was set aside for this import, and is back as it was
    assert any(s.startswith("DROP TRIGGER observations_sums_insert") for s in statements)
    assert trigger_sql(p) == before
    assert sums(p) == fresh(p)
    assert sums(p)["repeat-victims"][0] == 3000 and sums(p)["asb-calls"][0] == 3001
    # and the trigger keeps them afterwards
    p.measure.observe("fly-tipping", 79, date="2026-10-01")
    assert sums(p)["fly-tipping"] == pytest.approx(fresh(p)["fly-tipping"])
    assert sums(p)["fly-tipping"][0] == 3002
    p.close()


def test_small_import_into_a_large_history_keeps_the_trigger(tmp_path, migrated_template):
    p = make(tmp_path / "p.db", migrated_template)
    p.measure.import_csv(big_csv(tmp_path / "history.csv", 27000))  # 9,000 days from 1995
    statements = traced(p)
    # 6,000 new rows against 27,000 stored: recomputing would cost more than the trigger
    more = big_csv(tmp_path / "more.csv", 6000, start=dt.date(2019, 9, 1))
    assert p.measure.import_csv(more).imported == 6000
    assert not any(s.startswith("DROP TRIGGER") for s in statements)
    kept, computed = sums(p), fresh(p)
    assert kept.keys() == computed.keys() == set(INDICATORS)
    for indicator, row in kept.items():  # added up row by row: equal but for rounding
        assert row == pytest.approx(computed[indicator], rel=1e-12)
    p.close()


def test_refused_large_import_leaves_the_file_as_it_was(tmp_path, migrated_template, unchanged):
    p = make(tmp_path / "p.db", migrated_template)
    p.measure.observe("asb-calls", 1401, date="1994-12-01")
    path = big_csv(tmp_path / "big.csv", 9000)
    with open(path, "a", encoding="utf-8") as f:
        f.write("asb-calls,2026-01-01,lots,police.uk\n")  # the last row is bad
    p.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    statements = traced(p)
    with unchanged(tmp_path / "p.db"), pytest.raises(ImportFileError, match="line 9002: value must be"):
        p.measure.import_csv(path)
    assert any(s.startswith("DROP TRIGGER") for s in statements)
    assert p.store.conn.execute("SELECT count(*) FROM observations").fetchone()[0] == 1
    assert trigger_sql(p).startswith("CREATE TRIGGER observations_sums_insert")
    assert sums(p) == fresh(p)
    p.close()


#: rows with a problem, read row by row
BAD = [
    ("nope", "{d}", "1"), ("repeat-victims", "{d}", "x"), ("repeat-victims", "2027-01-01", "400"),
    ("repeat-victims", "01/02/2025", "400"), ("repeat-victims", "{d}", "nan"),
    ("repeat-victims", "{d}", "1e400"), ("repeat-victims", "{d}", "12\n13"), ("repeat-victims", "{d}", "1,2"),
    ("repeat-victims", "{d}", "2e15"),
    ("repeat-victims", "1995-01-03", "399"),  # repeats a row of the file
]


def unusual(rng: random.Random, row: list[str]) -> list[str]:
    """A good row written the way people write them: each cell must be read as written."""
    value, indicator, day, note, source = row
    kind = rng.randrange(7)
    if kind == 0:
        indicator = f" {indicator}\t"
    elif kind == 1:
        day = f" {day} "
    elif kind == 2:
        value = f"{float(value):,.1f}" if float(value) >= 1000 else f" {value} "
    elif kind == 3:
        value, indicator = rng.choice(["-0", "+.5e2", "65.", "7e1"]), "fly-tipping"
    elif kind == 4:
        note = rng.choice([" spaced ", "a\nnote", "x" * 300])
    elif kind == 5:
        source = rng.choice(["https://police.uk/x", "  police.uk"])
    else:
        value = "4000000"  # plain, but far outside what the indicator has seen
    return [value, indicator, day, note, source]


def tricky_csv(path: Path, rows: int, batch: int, seed: int) -> Path:
    """Stretches of plain rows (read a column at a time), and stretches where good rows
    are written in unusual ways and some rows are bad (blank, short, refused)."""
    rng = random.Random(seed)
    start = dt.date(1996, 1, 1)
    bad = itertools.cycle(BAD)  # each kind of bad row in turn
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Value", "indicator", "DATE", "note", "source"])
        levels = {"repeat-victims": 400, "asb-calls": 1400, "fly-tipping": 80}
        for i in range(rows):
            day = (start + dt.timedelta(days=i)).isoformat()
            dirty = (i // (2 * batch)) % 3 == 2
            roll = rng.random() if dirty else 1.0
            if roll < 0.003:
                ind, d, value = next(bad)
                w.writerow([value, ind, d.format(d=day), "", ""])
            elif roll < 0.004:
                w.writerow([])  # a blank line
            elif roll < 0.005:
                w.writerow(["400", "repeat-victims"])  # short
            else:
                # runs of one indicator, then another, some interleaved
                ind = INDICATORS[(i // rng.choice([1, 50, 400])) % 3]
                row = [f"{levels[ind] * rng.uniform(0.8, 1.6):.2f}", ind, day, rng.choice(["", "checked"]),
                       "police.uk"]
                if roll < 0.1:
                    row = unusual(rng, row)
                elif rng.random() < 0.002:
                    row[0] = "9999999"  # implausible, among plain rows
                w.writerow(row)
        w.writerow(["400", "repeat-victims", "1995-01-03", "", ""])
    return path


@pytest.mark.slow
@pytest.mark.parametrize("batch, skip_bad, confirm", [(5000, True, False), (37, True, False),
                                                      (37, True, True), (5000, False, False)])
def test_column_path_reads_rows_exactly_as_row_by_row(tmp_path, migrated_template, monkeypatch,
                                                      batch, skip_bad, confirm):
    path = tricky_csv(tmp_path / "tricky.csv", 12000, batch, seed=batch)
    monkeypatch.setattr(csv_import, "BATCH", batch)
    outcomes = []
    columns = csv_import.RowCheck.columns
    chunks = {"plain": 0, "row by row": 0}

    def counted(self: csv_import.RowCheck, raws: list[list[str]]) -> object:
        found = columns(self, raws)
        chunks["plain" if found is not None else "row by row"] += 1
        return found

    for name, row_by_row in (("fast", False), ("slow", True)):
        monkeypatch.setattr(csv_import.RowCheck, "columns",
                            (lambda self, raws: None) if row_by_row else counted)
        p = make(tmp_path / f"{name}.db", migrated_template)
        p.measure.observe("repeat-victims", 401, date="1995-01-02")
        progress: list[int] = []
        reject = tmp_path / f"{name}.rejected.csv"
        try:
            result = p.measure.import_csv(path, skip_bad=skip_bad, reject_path=reject,
                                          confirm=confirm, progress=progress.append)
            outcome: object = (result.imported, result.indicators, result.rejected, result.problems)
        except ImportFileError as exc:
            outcome = str(exc)
        rows = p.store.conn.execute(
            "SELECT indicator, date, value, source, note FROM observations ORDER BY 1, 2").fetchall()
        outcomes.append((outcome, progress, rows, reject.read_text() if reject.exists() else None,
                         sums(p) == fresh(p)))
        p.close()
    fast, slow = outcomes
    assert chunks["plain"] >= 2 and chunks["row by row"] >= 1  # both ways were taken
    assert fast == slow
    assert fast[4]  # the sums are right
    if skip_bad:
        assert 8000 < len(fast[2]) < 12000 and fast[3].count("\n") > 100
    else:
        assert isinstance(fast[0], str) and "nothing was imported" in fast[0] and len(fast[2]) == 1
