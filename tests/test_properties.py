"""Property-based tests: any valid record survives a store round trip and an export
round trip unchanged; any text given as a slug either validates or is refused cleanly."""

from __future__ import annotations

import re
import shutil
import string
import unicodedata

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import partnership
from partnership import errors, exchange
from partnership import validators as v
from partnership.health.pairs import PairGroup
from partnership.models import ContributionKind, PartnerKind

slugs = st.from_regex(r"[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,3}", fullmatch=True)
texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1, max_size=60,
).filter(lambda s: s.strip() == s and s.strip())
amounts = st.one_of(st.none(), st.floats(min_value=0, max_value=1e9, allow_nan=False))

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.slow
@SETTINGS
@given(slug=slugs, name=texts, kind=st.sampled_from(PartnerKind), description=texts,
       amount=amounts, unit=texts, additional=st.booleans())
def test_records_round_trip(tmp_path_factory, migrated_template, slug, name, kind, description,
                            amount, unit, additional):
    # each example copies the session's migrated file instead of migrating three new ones
    path = tmp_path_factory.mktemp("prop") / "p.db"
    shutil.copyfile(migrated_template, path)
    with partnership.create(path, name=name) as p:
        added = p.partners.add(slug=slug, name=name, kind=kind.value, description=description)
        assert p.partners.get(slug) == added
        p.outcomes.add(slug="o", title=name)
        c = p.contributions.add(outcome="o", partner=slug, kind=ContributionKind.MONEY,
                                description=description, amount=amount,
                                unit=unit if amount is not None else None, additional=additional)
        assert p.contributions.get(c.id) == c
        data = exchange.export_data(p)
    for fmt in ("yaml", "json"):
        file = path.with_suffix("." + fmt)
        file.write_text(exchange.dumps(data, fmt), encoding="utf-8")
        copy_path = path.with_name(f"copy-{fmt}.db")
        shutil.copyfile(migrated_template, copy_path)
        with partnership.create(copy_path, name="x") as copy:
            exchange.import_document(copy, file)
            assert exchange.export_data(copy) == data


@SETTINGS
@given(text=st.text(alphabet=string.printable + "éß→", max_size=30))
def test_any_slug_is_accepted_or_refused_with_a_sentence(p, text):
    try:
        p.partners.add(slug=text, name="Somebody")
    except errors.ValidationError as exc:
        assert str(exc).startswith("partner: slug")
        assert "\n" not in str(exc) or "\n" in text
    except errors.AlreadyExists:
        pass
    else:
        assert p.partners.get(text).slug == text


@pytest.mark.parametrize("text", ["0\x850", "a\u2028b", "a\u2029 b", "a\r\nb", "tab\there", " edge "])
def test_yaml_export_keeps_unusual_line_breaks(text):
    """PyYAML's single-quoted style folds a NEL into a space; the export must not."""
    import yaml

    assert yaml.safe_load(exchange.dumps({"description": text}, "yaml")) == {"description": text}


# -- hostile links, slugs and YAML ------------------------------------------------------------

#: what a browser strips before reading a link: leading C0 controls and spaces, tabs and
#: line breaks anywhere
_BROWSER_LEADING = "".join(chr(c) for c in range(0x21))
_SCHEMES = ["javascript", "JaVaScRiPt", "JAVASCRIPT", "data", "vbscript", "VBScript", "file",
            "blob", "mailto", "ftp", "http", "https", "HTTPS", "hTtP", "java\tscript", "java\nscript"]
_HOSTS = ["", "example.org", "evil.example", "user:pw@example.org", "example.org@evil.example",
          "[::1]", "example.org:99999", "exa mple.org", "xn--bcher-kva.example", "\u202eevil"]
_RESTS = ["", "/", "/x?y=1#z", "alert(1)", "alert(document.cookie)//",
          "text/html,<script>alert(1)</script>", "text/html;base64,PHNjcmlwdD4="]
urls = st.one_of(
    st.builds(lambda lead, scheme, sep, host, rest: lead + scheme + sep + host + rest,
              st.sampled_from(["", " ", "\x01", "\x00", "\t", "\n", "\x1f", "\u200b", "  \x0b"]),
              st.sampled_from(_SCHEMES),
              st.sampled_from([":", "://", ":/", ":\\\\", ":///", "://\\", ": "]),
              st.sampled_from(_HOSTS),
              st.one_of(st.sampled_from(_RESTS), st.text(max_size=12))),
    st.builds(lambda a, b: a + b, st.sampled_from(["//", "\\\\", "/\\", "www.", ""]),
              st.sampled_from(_HOSTS + _RESTS)),
    st.text(max_size=30),
)


def is_web_link(text: str) -> bool:
    """An independent statement of what may go in an href: http(s)://, a host, nothing a
    browser would strip or reinterpret."""
    return bool(re.fullmatch(r"(?i)https?://[^\s/?#\\@]+(?:[/?#][^\s\\]*)?", text)) and all(
        unicodedata.category(ch)[0] != "C" for ch in text)


@SETTINGS
@given(link=urls)
def test_a_link_field_holds_a_web_address_or_nothing(p, link):
    before = p.info().website
    try:
        info = p.update_info(website=link)
    except errors.ValidationError as exc:
        assert str(exc).startswith("partnership: website ") and len(str(exc)) < 400
        assert p.info().website == before
    else:
        assert info.website == "" or is_web_link(info.website), info.website
        assert p.info().website == info.website


def _lines_a_browser_would_link(text: str) -> list[str]:
    found = []
    for line in text.splitlines():
        probe = line.lstrip(_BROWSER_LEADING).replace("\t", "")
        if re.match(r"(?i)[a-z][a-z0-9+.\-]*:(?!\s|$)|[/\\]{2}", probe):
            found.append(probe.split(None, 1)[0])
    return found


@SETTINGS
@given(lines=st.lists(st.one_of(urls, st.sampled_from(["Minutes, item 4", "Re: the board",
                                                       "12:30 briefing", "Police.uk"])),
                      min_size=1, max_size=3))
def test_link_or_sentence_text_never_keeps_a_non_web_link(lines):
    text = "\n".join(lines)
    try:
        group = PairGroup(round="2026-03", number=1, size=2, output=text)
    except v.FieldProblem as exc:
        assert str(exc).startswith("output ") and "\n" not in str(exc).replace(text, "")
    else:
        for link in _lines_a_browser_would_link(group.output):
            assert is_web_link(link), (group.output, link)


@SETTINGS
@given(slug=slugs, edge=st.sampled_from(["\n", "\r\n", "\r", " ", "\t", "\x00", "\x0b", "\x0c",
                                         "\x85", "\u2028", "\u00a0", "\u200b"]),
       where=st.sampled_from(["end", "start", "both"]))
def test_a_slug_with_whitespace_at_either_end_is_refused(p, slug, edge, where):
    typed = {"end": slug + edge, "start": edge + slug, "both": edge + slug + edge}[where]
    with pytest.raises(errors.ValidationError, match="^partner: slug"):
        p.partners.add(slug=typed, name="Impostor")
    assert p.partners.count() == 0


_ROWS = st.lists(st.builds(lambda slug, name: {"slug": slug, "name": name}, slugs, texts),
                 min_size=1, max_size=4, unique_by=lambda r: r["slug"])


@SETTINGS
@given(rows=_ROWS, name=st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,8}", fullmatch=True),
       which=st.integers(0, 3), how=st.sampled_from(["anchor", "alias", "shared"]))
def test_yaml_with_any_anchor_or_alias_is_refused(tmp_path_factory, rows, name, which, how):
    doc = {"format": "partnership/1", "partners": rows}
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    lines = text.splitlines()
    if how == "shared":  # PyYAML itself writes an anchor and an alias for a repeated object
        text = yaml.safe_dump({**doc, "outcomes": [rows[0]]}, sort_keys=False)
    else:
        spot = [i for i, line in enumerate(lines) if line.startswith("- slug:")][
            which % len(rows)]
        key, _, value = lines[spot].partition(": ")
        lines[spot] = f"{key}: &{name} {value}"
        if how == "alias":
            lines.append(f"- *{name}")
        text = "\n".join(lines) + "\n"
    path = tmp_path_factory.mktemp("yaml") / "doc.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(errors.ImportFileError, match=r"line \d+: YAML anchors and aliases"):
        exchange.read_document(path)
