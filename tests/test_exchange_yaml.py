"""YAML export and import without a node per value give what PyYAML's dump and load give.

The export feeds libyaml's emitter the events PyYAML's representer would make, and the
import builds values straight from the parser's events (issue 19: YAML was 9x JSON); both
must write and read exactly what ``yaml.dump`` and ``yaml.load`` do, and anything unusual
goes to PyYAML's own way."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
import yaml

from partnership import exchange

ATOMS: list[Any] = [
    "", " ", "yes", "no", "null", "~", "1.0", "0x1F", "1e17", "- a", "a: b", "#x", "x #y", "'q'", '"d"',
    "multi\nline\n", "trail ", " lead", "tab\there", "ünï", "emoji 🙂", "nel\x85x", "\u2028", "a" * 150,
    "long words " * 20, "@at", "`b", "2026-01-01", "12:30", "true", "False", "%p", "!t", "&a", "*b",
    "{x}", "[y]", "|", ">", "-", "?", ":", ",x", "0o7", "+1", ".inf", "-.nan", "<<", "=",
    1, 0, -5, 10**20, 1.5, 1e17, 1e-05, 1e16, 5e-324, -0.0, 0.1, 123456789.123,
    float("inf"), float("-inf"), float("nan"), True, False, None,
]


def _reference_dump(data: Any) -> str:
    """What export wrote before: PyYAML's representer and serializer, libyaml's emitter."""
    def text(dumper: Any, value: str) -> Any:
        style = '"' if exchange._FOLDED_BREAKS.intersection(value) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    dumper: Any = type("Dumper", (getattr(yaml, "CSafeDumper", yaml.SafeDumper),), {})
    dumper.add_representer(str, text)
    return str(yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100))


def _value(rnd: random.Random, depth: int = 0) -> Any:
    r = rnd.random()
    if depth < 3 and r < 0.15:
        return [_value(rnd, depth + 1) for _ in range(rnd.randrange(4))]
    if depth < 3 and r < 0.3:
        keys = [k for k in ATOMS if not (isinstance(k, float) and math.isnan(k))]
        return {rnd.choice(keys): _value(rnd, depth + 1) for _ in range(rnd.randrange(4))}
    return rnd.choice(ATOMS)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def test_export_writes_the_bytes_pyyaml_wrote() -> None:
    rnd = random.Random(19)
    for _ in range(1500):
        data = {"format": exchange.FORMAT, "rows": [_value(rnd) for _ in range(rnd.randrange(5))],
                "more": _value(rnd)}
        expected = _reference_dump(data)
        if "\\U" in expected:  # written again by the pure-Python emitter (see _yaml_dump)
            continue
        assert exchange._yaml_dump(data) == expected, data
    shared = {"a": 1}  # one mapping twice is an alias for PyYAML: left to it
    assert exchange._yaml_dump({"x": [shared, shared]}) == _reference_dump({"x": [shared, shared]})


def test_import_reads_what_pyyaml_read_and_round_trips() -> None:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    rnd = random.Random(7)
    for _ in range(500):
        data = {"rows": [_value(rnd) for _ in range(rnd.randrange(5))]}
        text = exchange._yaml_dump(data)
        assert _same(exchange._load_yaml(text, loader), yaml.load(text, Loader=loader)), text
        assert _same(exchange._load_yaml(text, loader), data), text


@pytest.mark.parametrize("text", [
    "", "a: 1", "a: yes\nb: 2026-01-01\nc: 2026-01-01 10:00:00\nd: ~\ne: 0x1F\nf: 1_000\ng: .inf\nh: '1'",
    "a: [1, {b: c}, []]\nb: {}", "a: 1\na: 2", "a: |\n  multi\n  line\n", "x: 'it''s'", "- - - 1",
    "1: one\n1.5: x\nnull: z\ntrue: t",
])
def test_import_of_hand_written_yaml_matches_pyyaml(text: str) -> None:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    assert _same(exchange._load_yaml(text, loader), yaml.load(text, Loader=loader))


@pytest.mark.parametrize("text", ["a: !!str 1", "<<: {a: 1}", "? [1]\n: 2", "a: 1\n---\nb: 2", "=: 1"])
def test_what_the_fast_reader_leaves_to_pyyaml(text: str) -> None:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with pytest.raises(exchange._NotPlain):
        exchange._load_yaml(text, loader)


def test_anchors_are_refused_on_the_line_they_are_on(tmp_path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("format: partnership/1\npartners:\n- &p {slug: a}\n- *p\n", encoding="utf-8")
    with pytest.raises(exchange.ImportFileError, match="line 3: YAML anchors and aliases"):
        exchange.read_document(path)
