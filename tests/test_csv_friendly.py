"""CSV the way Excel and LibreOffice save it: title-case headers, BOM, CRLF, Windows-1252,
duplicates within the file, every problem in one pass and one per line, reject files
that import again as they stand, and CSV written for people (BOM, names beside slugs,
yes/no, 2 not 2.0, overdue, C-12, email in the private mail-merge file)."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

import partnership
from partnership import exchange, tabular
from partnership.errors import ImportFileError


def write(path: Path, text: str, encoding: str = "utf-8", bom: bool = False) -> Path:
    data = text.replace("\n", "\r\n").encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


# -- the reader ---------------------------------------------------------------------------------


@pytest.mark.parametrize("written, expected", [
    ("Due date", "due_date"), (" DUE-DATE ", "due_date"), ("due_date", "due_date"),
    ("\ufeffSlug", "slug"), ("Delivered  On", "delivered_on")])
def test_headers_match_in_any_case_and_spacing(written, expected):
    assert tabular.normalise(written) == expected


def test_encodings_are_detected(tmp_path):
    assert tabular.detect_encoding(write(tmp_path / "a.csv", "a\nCafé £\n")) == "utf-8-sig"
    assert tabular.detect_encoding(write(tmp_path / "b.csv", "a\nCafé £\n", bom=True)) == "utf-8-sig"
    assert tabular.detect_encoding(write(tmp_path / "c.csv", "a\nCafé £ – ‘x’\n", "cp1252")) == "cp1252"


@pytest.mark.parametrize("data", [b"a\n\x81\x8d\n", b"\xff\xfea\x00\n\x00", b"a\n\x01\xe9\n"])
def test_an_unsafe_guess_names_the_menu_items(tmp_path, data):
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    with pytest.raises(ImportFileError) as err:
        tabular.detect_encoding(path)
    message = str(err.value)
    assert "\n" not in message
    assert "CSV UTF-8 (Comma delimited)" in message and "LibreOffice" in message


def test_every_header_problem_at_once(tmp_path):
    path = write(tmp_path / "partners.csv", "Slug,Nmae,Slug,Colour\nx,y,z,w\n")
    with pytest.raises(ImportFileError) as err:
        tabular.open_csv(path, columns=["slug", "name", "kind"], required=["slug", "name"])
    message = str(err.value)
    for part in ("unknown columns Nmae, Colour", "Slug given twice", "missing column name"):
        assert part in message


# -- importing sections -------------------------------------------------------------------------


def test_title_case_windows_1252_crlf_partners_import(small, tmp_path):
    path = write(tmp_path / "Partners.csv", "Slug,Name,Kind,Web site\ncafe,Café Trust,Charity,\n", "cp1252")
    assert exchange.import_csv(small, path, "partners") == {
        "partners": {"added": 1, "updated": 0, "unchanged": 0}}
    assert small.partners.get("cafe").name == "Café Trust"


def test_contributions_with_title_case_and_bom(small, tmp_path):
    path = write(tmp_path / "contributions.csv",
                 "Outcome,Partner,Kind,Description,Amount,Unit,Additional\n"
                 "fewer-repeat-asb,lancs-council,money,Diversion fund,2,GBP,Yes\n", bom=True)
    counts = exchange.import_csv(small, path, "contributions")
    assert counts["contributions"]["added"] == 1


def test_every_problem_in_one_pass_including_duplicates_and_bad_slugs(small, tmp_path, unchanged):
    path = write(tmp_path / "partners.csv",
                 "slug,name,kind\n"
                 "alpha,Alpha,council\n"
                 "alpha,Alpha again,council\n"       # repeats line 2
                 "beta,Beta,castle\n"                 # bad kind
                 "Bad Slug,Gamma,police\n"            # bad slug
                 "delta,Delta,police,extra\n")        # too many values
    small.close()
    with unchanged(small.store.path), partnership.open(small.store.path) as p:
        with pytest.raises(ImportFileError) as err:
            exchange.import_csv(p, path, "partners")
    problems = err.value.problems
    assert [pr.split(":")[0] for pr in problems] == ["line 3", "line 4", "line 5", "line 6"]
    assert "already at line 2" in problems[0]
    assert "castle" in problems[1] and "Bad Slug" in problems[2] and "4 values" in problems[3]


def test_a_slug_naming_nothing_is_found_with_the_bad_cells(small, tmp_path):
    path = write(tmp_path / "people.csv",
                 "slug,name,partner\nann,Ann,nobody\nbob,Bob,lancs-police\nBad,Cy,lancs-police\n")
    with pytest.raises(ImportFileError) as err:
        exchange.import_csv(small, path, "people")
    joined = "\n".join(err.value.problems)
    assert "line 2: no partner 'nobody'" in joined and "line 4" in joined
    assert not small.people.exists("bob")


def test_reject_file_imports_again_as_it_stands_once_fixed(run, small, tmp_path):
    small.close()
    path = write(tmp_path / "partners.csv",
                 "Slug,Name,Kind\nok-one,OK,council\nbad-one,Bad,castle\nok-one,Again,council\n")
    r = run("import", str(path), "--skip-bad")
    assert r.exit_code == 0, r.output
    reject = tmp_path / "partners.rejected.csv"
    assert oct(reject.stat().st_mode & 0o777) == "0o600"
    text = reject.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "line,problem,Slug,Name,Kind" and len(lines) == 3
    fixed = text.replace("castle", "council").replace("ok-one,Again", "ok-two,Again")
    reject.write_text(fixed, encoding="utf-8-sig")
    r = run("import", str(reject), "--json")
    assert r.exit_code == 0, r.output
    with partnership.open(run.db) as p:
        assert {x.slug for x in p.partners.list()} >= {"ok-one", "ok-two", "bad-one"}


def test_problems_are_printed_one_per_line_then_counted_and_all_go_to_errors_file(run, small, tmp_path):
    small.close()
    body = "".join(f"p{i},Partner {i},castle\n" for i in range(25))
    path = write(tmp_path / "partners.csv", "slug,name,kind\n" + body)
    errors = tmp_path / "errors.txt"
    r = run("import", str(path), "--errors", str(errors))
    assert r.exit_code == 1 and "Traceback" not in r.output
    lines = r.stderr.splitlines()
    assert lines[0].startswith("Error:") and "25 problems" in lines[0]
    assert len(lines) == 1 + 20 + 1 and "and 5 more" in lines[-1] and str(errors) in lines[-1]
    assert all(line.startswith("  line ") for line in lines[1:21])
    written = errors.read_text().splitlines()
    assert len(written) == 26 and oct(errors.stat().st_mode & 0o777) == "0o600"
    # a single problem stays a single line
    r = run("import", str(write(tmp_path / "partners.csv", "slug,name,kind\nx,X,castle\n")))
    assert r.exit_code == 1 and r.stderr.count("\n") == 1


def test_observations_duplicates_found_with_other_bad_rows_in_one_pass(demo_path, tmp_path, unchanged):
    path = write(tmp_path / "obs.csv",
                 "Indicator,Date,Value,Source\n"
                 "repeat-victims,2026-01-02,400,Café\n"
                 "repeat-victims,2026-01-02,401,again\n"
                 "repeat-victims,2026-13-01,401,x\n"
                 "nope,2026-01-03,4,x\n", "cp1252")
    with unchanged(demo_path), partnership.open(demo_path) as p:
        with pytest.raises(ImportFileError) as err:
            p.measure.import_csv(path)
    joined = "\n".join(err.value.problems)
    for line in ("line 3", "line 4", "line 5"):
        assert line in joined
    assert "earlier in the file" in joined


def test_observation_reject_file_imports_again(run, demo_path, tmp_path):
    run.db = demo_path
    path = write(tmp_path / "obs.csv",
                 "indicator,date,value\nrepeat-victims,2026-01-02,400\nrepeat-victims,2026-13-01,401\n")
    r = run("observe", "--csv", str(path), "--skip-bad")
    assert r.exit_code == 0, r.output
    reject = tmp_path / "obs.rejected.csv"
    fixed = reject.read_text(encoding="utf-8-sig").replace("2026-13-01", "2026-01-09")
    reject.write_text(fixed, encoding="utf-8")
    r = run("observe", "--csv", str(reject))
    assert r.exit_code == 0, r.output
    assert "imported 1 observation" in r.stderr


# -- CSV written for people ---------------------------------------------------------------------


def test_export_csv_names_beside_slugs_yes_no_and_whole_numbers(run, demo_path, tmp_path):
    run.db = demo_path
    text = run("export", "--format", "csv", "--section", "contributions").stdout
    assert not text.startswith("\ufeff")
    rows = rows_of(text)
    assert {"partner_name", "outcome_name"} <= set(rows[0])
    assert {r["additional"] for r in rows} <= {"yes", "no"}
    assert not any(r["amount"].endswith(".0") for r in rows)
    with partnership.open(demo_path) as p:
        names = {x.slug: x.name for x in p.partners.list()}
    assert all(r["partner_name"] == names[r["partner"]] for r in rows)
    # a file gets the byte-order mark; it imports back unchanged
    out = tmp_path / "contributions.csv"
    assert run("export", "--format", "csv", "--section", "contributions", "-o", str(out)).exit_code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    r = run("import", str(out), "--json")
    assert r.exit_code == 0, r.output
    assert '"added": 0' in r.stdout and '"updated": 0' in r.stdout
    assert run("export", "--format", "csv", "--section", "partners", "--excel").stdout.startswith("\ufeff")


def test_commitments_csv_file_like_pairs_contacts(run, demo_path, tmp_path):
    run.db = demo_path
    due = tmp_path / "due.csv"
    r = run("commitments", "--csv", str(due))
    assert r.exit_code == 0, r.output
    assert oct(due.stat().st_mode & 0o777) == "0o600"
    assert due.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = rows_of(due.read_text(encoding="utf-8"))
    assert all(r["ref"].startswith("C-") for r in rows)
    assert "overdue" in {r["status"] for r in rows}
    assert any("@" in r["owner_email"] for r in rows) and all(r["owner_name"] for r in rows if r["owner"])
    assert {r["additional"] for r in rows} <= {"yes", "no"}
    # an earlier one is replaced; any other file needs --force, as for pairs contacts
    assert run("commitments", "--csv", str(due)).exit_code == 0
    notes = tmp_path / "notes.csv"
    notes.write_text("my own notes\n")
    again = run("commitments", "--csv", str(notes))
    assert again.exit_code == 1 and "--force" in again.stderr and notes.read_text() == "my own notes\n"
    assert run("commitments", "--csv", str(notes), "--force").exit_code == 0
    # '--csv' alone still prints
    printed = run("commitments", "--csv").stdout
    assert printed.startswith("ref,partner,partner_name") and "owner_email" not in printed
    assert "@" not in printed.replace("https://", "")


def test_pairs_contacts_file_has_a_bom_and_emails(run, demo_path, tmp_path):
    run.db = demo_path
    with partnership.open(demo_path) as p:
        label = p.store.query("SELECT round FROM pair_rounds ORDER BY round DESC LIMIT 1")[0]["round"]
    out = tmp_path / "contacts.csv"
    r = run("pairs", "contacts", label, "--csv", str(out))
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = rows_of(out.read_text(encoding="utf-8"))
    assert rows and "email" in rows[0] and os.stat(out).st_mode & 0o077 == 0
