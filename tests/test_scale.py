"""No command grows faster than the data: bench/scale.py at its two smallest sizes."""

from __future__ import annotations

import importlib.util
import json
import subprocess
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


#: ``scale.run(sizes)`` in a new interpreter; its table, then its exponents as JSON
RUN = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("scale_bench", sys.argv[1])
scale = importlib.util.module_from_spec(spec)
spec.loader.exec_module(scale)
grown = scale.run(json.loads(sys.argv[2]))
print(json.dumps(grown))
"""


def run_apart(sizes: list[tuple[int, int]]) -> tuple[dict[str, list[float]], str]:
    """The exponents and the printed table of ``scale.run(sizes)``, measured in a process of
    its own, as ``python bench/scale.py --sizes 2`` measures them. Not in the test's
    process: before each timed run the bench makes a full garbage collection, and in a
    pytest worker, which holds every collected test, each costs about 0.1 s (some 180 of
    them: more than the bench's own work), growing with the tests run before."""
    done = subprocess.run([sys.executable, "-c", RUN, str(BENCH / "scale.py"), json.dumps(sizes)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    *table, grown = done.stdout.strip().splitlines()
    return json.loads(grown), "\n".join(table)


@pytest.mark.slow
def test_no_operation_grows_superlinearly() -> None:
    """import, status, gaps, check, publish, export and the first home request, at 10,000
    and 100,000 observations: a growth exponent over 1.2 fails. A busy machine can slow
    one measurement; work that really grows faster than the data does so every time, so
    an operation over the limit is measured again once and fails only if it is over again."""
    scale = load_scale()
    sizes = scale.SIZES[:2]
    first, out = run_apart(sizes)
    over = {name for name, exps in first.items() if max(exps) > scale.LIMIT}
    if over:
        again, out_again = run_apart(sizes)
        over = {name for name in over if max(again[name]) > scale.LIMIT}
        out += "\n" + out_again
    assert not over, f"superlinear: {sorted(over)}\n{out}"
    assert set(first) == {"import", "status", "gaps", "check", "publish", "export", "home"}
