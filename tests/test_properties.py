"""Property-based tests: any valid record survives a store round trip and an export
round trip unchanged; any text given as a slug either validates or is refused cleanly."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import partnership
from partnership import errors, exchange
from partnership.models import ContributionKind, PartnerKind

slugs = st.from_regex(r"[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,3}", fullmatch=True)
texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1, max_size=60,
).filter(lambda s: s.strip() == s and s.strip())
amounts = st.one_of(st.none(), st.floats(min_value=0, max_value=1e9, allow_nan=False))

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(slug=slugs, name=texts, kind=st.sampled_from(PartnerKind), description=texts,
       amount=amounts, unit=texts, additional=st.booleans())
def test_records_round_trip(tmp_path_factory, slug, name, kind, description, amount, unit,
                            additional):
    path = tmp_path_factory.mktemp("prop") / "p.db"
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
        with partnership.create(path.with_name(f"copy-{fmt}.db"), name="x") as copy:
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
