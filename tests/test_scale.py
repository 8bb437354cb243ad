"""No command grows faster than the data: bench/scale.py at its two smallest sizes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def load_scale() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("scale_bench", BENCH / "scale.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_no_operation_grows_superlinearly(capsys: pytest.CaptureFixture[str]) -> None:
    """import, status, gaps, check, publish, export and the first home request, at 10,000
    and 100,000 observations: a growth exponent over 1.2 fails. A busy machine can slow
    one measurement; work that really grows faster than the data does so every time, so
    an operation over the limit is measured again once and fails only if it is over again."""
    scale = load_scale()
    sizes = scale.SIZES[:2]
    first = scale.run(sizes)
    over = {name for name, exps in first.items() if max(exps) > scale.LIMIT}
    if over:
        again = scale.run(sizes)
        over = {name for name in over if max(again[name]) > scale.LIMIT}
    out = capsys.readouterr().out
    assert not over, f"superlinear: {sorted(over)}\n{out}"
    assert set(first) == {"import", "status", "gaps", "check", "publish", "export", "home"}
