"""Hostile input through the command line: arbitrary text, numbers, dates and slugs.

Whatever is typed, the command exits 0 or with a one-line error and no traceback,
and when it fails the database file is byte-for-byte unchanged.
"""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import is_web_link, urls

import partnership
from partnership.cli import cli

nasty = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "'; DROP TABLE partners; --", "<script>alert(1)</script>",
                     "1e309", "-0", "NaN", "inf", "9" * 400, "\u202e\u0000x", "lancs-police",
                     "fewer-repeat-asb", "2026-02-30", "0000-00-00", "\n\r\t", "ß→🙂"]),
)

COMMANDS = [
    lambda a, b, c: ["partner", "add", a, "--name", b, "--kind", c],
    lambda a, b, c: ["person", "add", a, "--name", b, "--partner", c, "--email", b],
    lambda a, b, c: ["outcome", "add", a, "--title", b, "--status", c],
    lambda a, b, c: ["stake", "add", a, b, "--motivation", c],
    lambda a, b, c: ["contribution", "add", "fewer-repeat-asb", "lancs-police", "--kind", a,
                     "--description", b, "--amount", c, "--unit", "FTE"],
    lambda a, b, c: ["contribution", "update", "1", "--amount", a, "--unit", b],
    lambda a, b, c: ["partner", "update", "lancs-police", "--name", a, "--kind", b],
    lambda a, b, c: ["outcome", "update", a, "--title", b],
    lambda a, b, c: ["about", "--governance", a, "--name", b],
    lambda a, b, c: ["log", "--since", a],
]


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "base.db"
    with partnership.create(path, name="Hostile") as p:
        p.partners.add(slug="lancs-police", name="Police", kind="police")
        p.outcomes.add(slug="fewer-repeat-asb", title="Fewer repeat victims", beneficiaries="All")
        p.contributions.add(outcome="fewer-repeat-asb", partner="lancs-police",
                            description="PCSOs", amount=2, unit="FTE")
    return path


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, len(COMMANDS) - 1), a=nasty, b=nasty, c=nasty)
def test_no_traceback_and_unchanged_on_error(base, tmp_path, which, a, b, c):
    path = tmp_path / "h.db"
    path.write_bytes(base.read_bytes())
    before = digest(path)
    args = COMMANDS[which](a, b, c)
    result = CliRunner().invoke(cli, ["--db", str(path), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        assert result.exit_code in (1, 2)
        assert digest(path) == before
        assert result.stderr.strip(), "an error must say something"
        if result.exit_code == 1:
            assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize("typed", ["a\x1eb", "a\nb", "a\x1b[31mb", "a\u2028b"])
def test_click_usage_errors_quote_what_was_typed_on_one_line(base, typed):
    """A stray argument holding a line or record separator cannot split click's error line."""
    result = CliRunner().invoke(cli, ["--db", str(base), "partner", "list", typed])
    assert result.exit_code == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: Got unexpected extra argument") and last.endswith(")")


# -- links, slugs and YAML typed or imported by a lead ---------------------------------------

LINK_COMMANDS = [
    (lambda u: ["about", "--website", u], "SELECT website FROM partnership"),
    (lambda u: ["about", "--licence-url", u], "SELECT licence_url FROM partnership"),
    (lambda u: ["partner", "update", "lancs-police", "--website", u],
     "SELECT website FROM partners WHERE slug = 'lancs-police'"),
    (lambda u: ["partner", "add", "new-partner", "--name", "New", "--website", u],
     "SELECT website FROM partners WHERE slug = 'new-partner'"),
]


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, len(LINK_COMMANDS) - 1), link=urls)
def test_a_typed_link_is_a_web_address_or_a_one_line_refusal(base, tmp_path, which, link):
    path = tmp_path / "h.db"
    path.write_bytes(base.read_bytes())
    before = digest(path)
    command, query = LINK_COMMANDS[which]
    result = CliRunner().invoke(cli, ["--db", str(path), *command(link)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if result.exit_code == 0:
        conn = sqlite3.connect(path)
        stored = conn.execute(query).fetchone()[0]
        conn.close()
        assert stored == "" or is_web_link(stored), stored
    else:
        assert result.exit_code in (1, 2), result.output
        assert digest(path) == before
        if result.exit_code == 1:
            assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edge=st.sampled_from(["\n", "\r\n", " ", "\t", "\x0b", "\u2028", "\x00"]),
       slug=st.sampled_from(["county-police", "lancs-police", "a", "fewer-repeat-asb"]),
       where=st.sampled_from(["end", "start"]))
def test_a_slug_with_a_trailing_newline_is_never_added(base, tmp_path, edge, slug, where):
    path = tmp_path / "h.db"
    path.write_bytes(base.read_bytes())
    before = digest(path)
    typed = slug + edge if where == "end" else edge + slug
    for args in (["partner", "add", typed, "--name", "Impostor Police"],
                 ["outcome", "add", typed, "--title", "Fewer impostors"]):
        result = CliRunner().invoke(cli, ["--db", str(path), *args])
        assert result.exit_code in (1, 2) and "Traceback" not in result.output, result.output
    assert digest(path) == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,6}", fullmatch=True), depth=st.integers(1, 9),
       alias=st.booleans())
def test_an_imported_yaml_anchor_or_alias_is_a_one_line_refusal(base, tmp_path, name, depth, alias):
    path = tmp_path / "h.db"
    path.write_bytes(base.read_bytes())
    before = digest(path)
    lines = ["format: partnership/1", "partners:", f"- &{name}0 {{slug: a, name: A}}"]
    for level in range(1, depth):
        lines.append(f"- &{name}{level} [*{name}{level - 1}, *{name}{level - 1}]")
    if alias:
        lines.append(f"- *{name}{depth - 1}")
    doc = tmp_path / "doc.yaml"
    doc.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--db", str(path), "import", str(doc)])
    assert result.exit_code == 1, result.output
    assert len(result.stderr.strip().splitlines()) == 1 and "line 3" in result.stderr
    assert "anchors and aliases" in result.stderr
    assert digest(path) == before
