"""Spreadsheets both ways: ``export --format xlsx`` / ``import FILE.xlsx`` (another format of
the one exchange), workbooks saved again by LibreOffice, and partner returns read into
the inbox's review queue."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

import partnership
from partnership import exchange
from partnership.errors import ImportFileError, PartnershipError
from partnership.spreadsheets.returns import latest_round

SOFFICE = shutil.which("soffice")


def soffice_convert(source: Path, out_dir: Path) -> Path:
    """``soffice --headless --convert-to xlsx`` with a profile of its own (bounded in time);
    a CSV is opened as UTF-8, comma-separated (what a person picks in LibreOffice's dialog)."""
    assert SOFFICE, "LibreOffice (soffice) is needed: apt-get install libreoffice-calc"
    out_dir.mkdir(exist_ok=True)
    profile = (out_dir / "profile").resolve().as_uri()
    infilter = ["--infilter=CSV:44,34,76"] if source.suffix == ".csv" else []
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile}", "--headless", *infilter,
                    "--convert-to", "xlsx", "--outdir", str(out_dir), str(source)],
                   check=True, capture_output=True, timeout=180)
    converted = out_dir / (source.stem + ".xlsx")
    assert converted.is_file()
    return converted


@pytest.fixture
def exported(run, demo_path, tmp_path) -> Path:
    run.db = demo_path
    out = tmp_path / "export.xlsx"
    r = run("export", "--format", "xlsx", "-o", str(out))
    assert r.exit_code == 0, r.output
    return out


def headers(ws) -> list[str]:
    return [c.value for c in next(ws.iter_rows(max_row=1))]


# -- export ---------------------------------------------------------------------------------------


def test_export_lays_out_a_sheet_per_section(exported, demo_path):
    wb = load_workbook(exported)
    with partnership.open(demo_path) as p:
        sections = [exchange.entity_of(m).section for m in p.registry.models]
        partners = {x.slug: x.name for x in p.partners.list()}
    assert wb.sheetnames[0] == "partnership" and set(sections) <= set(wb.sheetnames)
    assert wb["lists"].sheet_state == "hidden"
    assert oct(exported.stat().st_mode & 0o777) == "0o600"

    ws = wb["contributions"]
    cols = headers(ws)
    assert ws.freeze_panes == "A2"
    assert cols[:3] == ["id", "outcome", "outcome_name"] and "partner_name" in cols
    assert ws.column_dimensions["A"].width and ws.column_dimensions["E"].width > 10
    first = {h: c.value for h, c in zip(cols, next(ws.iter_rows(min_row=2, max_row=2)), strict=True)}
    assert first["partner_name"] == partners[first["partner"]]
    assert first["additional"] in ("yes", "no")
    assert isinstance(first["amount"], (int, float)) or first["amount"] is None
    # drop-down lists for kinds and yes/no, pointing at the hidden list sheet
    lists = {str(dv.sqref).split(":")[0][0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    kind_col = "ABCDEFGHIJKLMNOP"[cols.index("kind")]
    assert lists[kind_col].startswith("lists!")

    ws = wb["observations"]
    row = next(ws.iter_rows(min_row=2, max_row=2, values_only=True))
    assert isinstance(row[headers(ws).index("date")], dt.datetime)
    assert isinstance(row[headers(ws).index("value")], (int, float))

    ws = wb["commitments"]
    cols = headers(ws)
    status = [r[cols.index("status")] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert "overdue" in status and "kept-late" in status
    assert ws.cell(row=1, column=cols.index("status") + 1).fill.fgColor.rgb.endswith("EEEEEE")


def test_export_never_replaces_an_unrelated_file(run, demo_path, tmp_path, exported):
    assert run("export", "--format", "xlsx", "-o", str(exported)).exit_code == 0  # an earlier export
    other = tmp_path / "budget.xlsx"
    other.write_bytes(b"my own workbook")
    r = run("export", "--format", "xlsx", "-o", str(other))
    assert r.exit_code == 1 and "--force" in r.stderr and other.read_bytes() == b"my own workbook"
    assert run("export", "--format", "xlsx").exit_code == 2  # a workbook needs -o


# -- import ---------------------------------------------------------------------------------------


def test_import_is_idempotent_and_rebuilds_the_partnership(run, demo_path, exported, tmp_path):
    r = run("import", str(exported), "--json")
    assert r.exit_code == 0, r.output
    assert '"added": 0' in r.stdout and '"updated": 0' in r.stdout
    fresh = tmp_path / "fresh.db"
    run.db = fresh
    r = run("import", str(exported))
    assert r.exit_code == 0, r.output
    with partnership.open(demo_path) as a, partnership.open(fresh) as b:
        assert exchange.export_data(a) == exchange.export_data(b)


def test_every_bad_cell_is_named_by_sheet_row_and_column(run, demo_path, exported, tmp_path, unchanged):
    wb = load_workbook(exported)
    ws = wb["partners"]
    kind = headers(ws).index("kind")
    first_slug = ws.cell(row=2, column=1).value
    ws.cell(row=3, column=kind + 1, value="castle")
    ws.append([first_slug, "Twin", "council"])
    ws = wb["people"]
    ws.cell(row=2, column=headers(ws).index("partner") + 1, value="nobody-here")
    ws = wb["observations"]
    ws.cell(row=4, column=headers(ws).index("value") + 1, value="lots")
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    with unchanged(demo_path):
        r = run("import", str(bad))
    assert r.exit_code == 1 and "Traceback" not in r.output
    lines = r.stderr.splitlines()
    assert "4 problems" in lines[0]
    letter = "ABCDEFGH"[kind]
    assert f"  sheet partners, row 3, column {letter} (kind): kind must be one of" in r.stderr
    assert "is already at row 2 of this file" in r.stderr
    assert "sheet observations, row 4, column" in r.stderr and "(value)" in r.stderr
    assert "sheet people, row 2, column" in r.stderr and "no partner 'nobody-here'" in r.stderr


def test_a_workbook_that_is_not_one_is_one_line(run, demo_path, tmp_path):
    run.db = demo_path
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a zip")
    r = run("import", str(fake))
    assert r.exit_code == 1 and r.stderr.count("\n") == 1 and "Excel Workbook (.xlsx)" in r.stderr


@pytest.mark.slow
def test_a_workbook_saved_again_by_libreoffice_imports_cleanly(run, demo_path, exported, tmp_path):
    converted = soffice_convert(exported, tmp_path / "lo")
    r = run("import", str(converted), "--json")
    assert r.exit_code == 0, r.output
    assert '"added": 0' in r.stdout and '"updated": 0' in r.stdout
    fresh = tmp_path / "fresh.db"
    run.db = fresh
    assert run("import", str(converted)).exit_code == 0
    with partnership.open(demo_path) as a, partnership.open(fresh) as b:
        assert exchange.export_data(a) == exchange.export_data(b)


@pytest.mark.slow
def test_a_lead_s_own_spreadsheet_converted_by_libreoffice(run, small, tmp_path):
    """A CSV of partners in title case, turned into a workbook by LibreOffice: one sheet,
    named after the file, read as the partners section."""
    small.close()
    source = tmp_path / "partners.csv"
    source.write_bytes("Slug,Name,Kind\r\ncafe-trust,Café Trust,Charity\r\nfire,Fire Service,fire\r\n"
                       .encode("utf-8-sig"))
    converted = soffice_convert(source, tmp_path / "lo")
    r = run("import", str(converted))
    assert r.exit_code == 0, r.output
    with partnership.open(run.db) as p:
        assert p.partners.get("cafe-trust").name == "Café Trust"


# -- partner returns ------------------------------------------------------------------------------


def fill(path: Path, out: Path, *, figures: dict[str, object] | None = None,
         delivered: dict[str, object] | None = None, person: str | None = None) -> Path:
    wb = load_workbook(path)
    ws = wb["Figures"]
    cols = [str(c.value).lower() for c in next(ws.iter_rows(max_row=1))]
    for cell, value in (figures or {}).items():
        column, row = cell.split("@")
        ws.cell(row=int(row), column=cols.index(column) + 1, value=value)
    ws = wb["Commitments"]
    cols = [str(c.value).lower() for c in next(ws.iter_rows(max_row=1))]
    for cell, value in (delivered or {}).items():
        column, row = cell.split("@")
        ws.cell(row=int(row), column=cols.index(column) + 1, value=value)
    if person:
        wb["About"]["B7"] = person
    wb.save(out)
    return out


@pytest.fixture
def police_return(demo_path, tmp_path) -> Path:
    out = tmp_path / "county-police-return.xlsx"
    with partnership.open(demo_path) as p:
        p.returns.make("county-police", out)
    return out


def test_a_return_is_locked_except_the_cells_to_fill(police_return):
    wb = load_workbook(police_return)
    assert wb.security.lockStructure
    assert wb["return"].sheet_state == "veryHidden"
    meta = {r[0]: r[1] for r in wb["return"].iter_rows(values_only=True)}
    assert meta["partner"] == "county-police" and meta["round"].startswith("R")
    ws = wb["Figures"]
    assert ws.protection.sheet
    cols = [c.value for c in next(ws.iter_rows(max_row=1))]
    assert cols[:2] == ["Indicator", "Title"] and "Value" in cols and "Last value" in cols
    row = list(next(ws.iter_rows(min_row=2, max_row=2)))
    assert row[cols.index("Indicator")].protection.locked
    assert not row[cols.index("Value")].protection.locked
    assert not row[cols.index("Date")].protection.locked
    kinds = {str(dv.sqref)[0]: dv.type for dv in ws.data_validations.dataValidation}
    assert kinds["ABCDEFGHIJKLMN"[cols.index("Value")]] == "decimal"
    assert kinds["ABCDEFGHIJKLMN"[cols.index("Date")]] == "date"
    assert wb["Commitments"].cell(row=2, column=1).value.startswith("C-")
    assert not wb["About"]["B7"].protection.locked


def test_a_return_round_trip_reaches_the_inbox(demo_path, police_return, tmp_path):
    filled = fill(police_return, tmp_path / "filled.xlsx",
                  figures={"value@2": 55, "date@2": dt.date(2026, 11, 1), "source@2": "Police records"},
                  delivered={"delivered on@2": dt.date(2026, 11, 20), "evidence@2": "https://example.org/x"},
                  person="jo-bloggs")
    with partnership.open(demo_path) as p:
        [found] = p.returns.read([filled])
        ids = found.ids
        assert len(ids) == 2
        pending = p.inbox.pending()
        kinds = sorted(s["kind"] for s in pending if s["id"] in ids)
        assert kinds == ["commitment-delivered", "observation"]
        assert all(s["person"] == "jo-bloggs" for s in pending if s["id"] in ids)
        with pytest.raises(PartnershipError, match="read already"):
            p.returns.check(filled)


def test_older_round_and_another_partner_are_refused(run, demo_path, police_return, tmp_path):
    run.db = demo_path
    filled = fill(police_return, tmp_path / "filled.xlsx",
                  figures={"value@2": 55, "date@2": dt.date(2026, 11, 1)}, person="jo-bloggs")
    r = run("returns", "read", str(filled), "--partner", "bay-health")
    assert r.exit_code == 1 and "not of bay-health" in r.stderr
    r = run("returns", "read", str(filled), "--person", "ann-marsh")
    assert r.exit_code == 1 and "works for" in r.stderr
    newer = tmp_path / "new.xlsx"
    assert run("returns", "make", "--partner", "county-police", "-o", str(newer)).exit_code == 0
    with partnership.open(demo_path) as p:
        assert latest_round(p, "county-police") != load_workbook(filled)["return"]["B3"].value
    r = run("returns", "read", str(filled))
    assert r.exit_code == 1 and "older round" in r.stderr and r.stderr.count("\n") == 1
    with partnership.open(demo_path) as p:
        assert not p.inbox.pending()


def test_a_forged_round_is_refused(demo_path, police_return, tmp_path):
    wb = load_workbook(police_return)
    wb["return"]["B2"] = "bay-health"
    forged = tmp_path / "forged.xlsx"
    wb.save(forged)
    with partnership.open(demo_path) as p, pytest.raises(PartnershipError, match="made for county-police"):
        p.returns.check(forged)


def test_bad_cells_of_a_return_are_named_and_nothing_is_queued(run, demo_path, police_return, tmp_path):
    run.db = demo_path
    filled = fill(police_return, tmp_path / "filled.xlsx",
                  figures={"value@2": "lots", "date@2": dt.date(2026, 11, 1), "value@3": 12},
                  person="jo-bloggs")
    r = run("returns", "read", str(filled))
    assert r.exit_code == 1
    assert "sheet Figures, row 2, column K (value)" in r.stderr
    assert "sheet Figures, row 3, column L (date): date is needed" in r.stderr
    with partnership.open(demo_path) as p:
        assert not p.inbox.pending()


def test_a_return_whose_last_row_is_refused_at_submit_queues_nothing(run, demo_path, police_return,
                                                                     tmp_path):
    """The checks of the workbook pass, but its last row (a commitment the lead has marked
    delivered since the workbook was made) is refused by the inbox: nothing is queued,
    the round is not marked read, and the CLI says which cell in one line."""
    filled = fill(police_return, tmp_path / "filled.xlsx",
                  figures={"value@2": 55, "date@2": dt.date(2026, 11, 1),
                           "value@3": 12, "date@3": dt.date(2026, 11, 1)},
                  delivered={"delivered on@2": dt.date(2026, 11, 20), "evidence@2": "https://example.org/x"},
                  person="jo-bloggs")
    ref = load_workbook(filled)["Commitments"]["A2"].value
    with partnership.open(demo_path) as p:
        found = p.returns.check(filled)
        assert [s.kind for s in found.submissions] == ["observation", "observation", "commitment-delivered"]
        p.commitments.deliver(ref, evidence="Done, by phone", date="2026-11-25")
        changes = p.store.query("SELECT count(*) AS n FROM changes")[0]["n"]
        with pytest.raises(ImportFileError, match=r"Commitments.*nothing was queued"):
            p.returns.read([filled])
        assert p.inbox.pending() == [] and found.ids == []
        assert p.store.query("SELECT count(*) AS n FROM changes")[0]["n"] == changes
        assert p.inbox.pending(states=("draft", "pending", "returned", "accepted")) == []
    run.db = demo_path
    r = run("returns", "read", str(filled))
    assert r.exit_code == 1 and "nothing was queued" in r.stderr and r.stderr.count("\n") == 1
    assert "Traceback" not in r.output
    with partnership.open(demo_path) as p:
        assert p.inbox.pending() == []


def test_returns_make_all_writes_one_per_partner(run, demo_path, tmp_path):
    run.db = demo_path
    r = run("returns", "make", "--all", str(tmp_path / "out"))
    assert r.exit_code == 0, r.output
    with partnership.open(demo_path) as p:
        partners = [x.slug for x in p.partners.list()]
    made = sorted(f.name for f in (tmp_path / "out").iterdir())
    assert made == sorted(f"{s}-return.xlsx" for s in partners)
    assert run("returns", "make").exit_code == 2


def test_an_export_is_not_a_return(run, demo_path, exported):
    r = run("returns", "read", str(exported))
    assert r.exit_code == 1 and "not a return workbook" in r.stderr


@pytest.mark.slow
def test_a_return_saved_again_by_libreoffice_is_read(run, demo_path, police_return, tmp_path):
    run.db = demo_path
    filled = fill(police_return, tmp_path / "filled.xlsx",
                  figures={"value@2": 55, "date@2": dt.date(2026, 11, 1)}, person="jo-bloggs")
    converted = soffice_convert(filled, tmp_path / "lo")
    r = run("returns", "read", str(converted), "--json")
    assert r.exit_code == 0, r.output
    with partnership.open(demo_path) as p:
        assert [s["kind"] for s in p.inbox.pending()] == ["observation"]


def test_library_import_document_reads_workbooks(demo_path, exported):
    with partnership.open(demo_path) as p:
        counts = exchange.import_document(p, exported)
    assert all(c["added"] == c["updated"] == 0 for c in counts.values())
    with pytest.raises(ImportFileError):
        exchange.read_any(exported.with_name("missing.xlsx"))


def test_a_hand_made_workbook_whose_table_starts_further_down_and_right(run, small, tmp_path):
    """A lead's own workbook: a sheet named 'Partners', the table starting at B3, title-case
    headers; a bad cell is named by its real row and column."""
    from openpyxl import Workbook

    small.close()
    wb = Workbook()
    ws = wb.active
    ws.title = "Partners"
    ws["B3"], ws["C3"], ws["D3"] = "Slug", "Name", "Kind"
    ws.append([None, "cafe-trust", "Café Trust", "Charity"])
    ws.append([None, "fire", "Fire Service", "castle"])
    path = tmp_path / "ours.xlsx"
    wb.save(path)
    r = run("import", str(path))
    assert r.exit_code == 1 and "sheet Partners, row 5, column D (kind)" in r.stderr, r.stderr
    ws["D5"] = "fire"
    wb.save(path)
    r = run("import", str(path))
    assert r.exit_code == 0, r.output
    with partnership.open(run.db) as p:
        assert p.partners.get("cafe-trust").kind.value == "charity"
