"""The fast paths publish relies on give what the slow ones gave (issue 19).

* the pivot check's "off track for its last N observations", worked back from the
  trend sums the host keeps and read newest first, equals the count over the whole
  series read forward;
* the scrubber's word index takes out exactly what looking for every word in every
  text took out.
"""

from __future__ import annotations

import datetime as dt
import random
import re

from partnership.measurement import metrics as bm
from partnership.metrics import Series, load_series
from partnership.readonly import ReadOnlyView
from partnership.reporting.truth import SOMEONE, Scrubber

TODAY = dt.date(2026, 11, 1)


def _with_series(p) -> dict[str, list[tuple[str, float]]]:
    p.outcomes.add(slug="o", title="Fewer repeat victims", beneficiaries="Residents")
    rng = random.Random(19)
    start = dt.date(2020, 1, 1)
    made: dict[str, list[tuple[str, float]]] = {}
    # runs shorter and longer than the tail the host reads (up to 24), recoveries at
    # different places, observations on and before the baseline date, flat and noisy
    shapes = {
        "flat": [100.0] * 60,
        "recovers-early": [60.0] * 5 + [100.0] * 40,
        "recovers-late": [100.0] * 40 + [-3000.0] + [100.0] * 2,  # on track since
        "on-track": [100.0 - 2 * i for i in range(30)],
        "noisy": [100.0 + rng.uniform(-8, 8) for _ in range(80)],
        "before": [100.0] * 30,
        "one": [100.0],
    }
    for k, (slug, values) in enumerate(shapes.items()):
        p.measure.add_indicator(slug, outcome="o", unit="n", direction="down", baseline=100,
                                baseline_date="2020-01-01", target=50, target_date="2024-01-01",
                                pivot_after=2 + k % 3)
        first = -3 if slug == "before" else 1  # three before the baseline date, one on it
        rows = [((start + dt.timedelta(days=14 * (i + first))).isoformat(), v)
                for i, v in enumerate(values)]
        with p.store.conn:
            p.store.conn.executemany("INSERT INTO observations (indicator, date, value) VALUES (?, ?, ?)",
                                     [(slug, d, v) for d, v in rows])
        made[slug] = rows
    return made


def test_off_track_run_worked_back_equals_the_whole_series_read_forward(small) -> None:
    made = _with_series(small)
    view = ReadOnlyView(small.store.conn, TODAY)
    runs = {}
    for s in load_series(small, TODAY):
        if s.indicator.slug not in made:
            continue
        s.view = view
        whole = Series(s.indicator, [dt.date.fromisoformat(d) for d, _ in made[s.indicator.slug]],
                       [v for _, v in made[s.indicator.slug]], TODAY)
        runs[s.indicator.slug] = bm.off_track_run(s)
        assert runs[s.indicator.slug] == bm.off_track_run(whole), s.indicator.slug
    # and the cases are what they are meant to be: runs past the tail the host reads
    assert runs["flat"] == 60 and runs["recovers-early"] == 40 and runs["recovers-late"] == 0
    assert runs["on-track"] == 0 and runs["before"] == 26 and runs["one"] == 1
    assert 0 < runs["noisy"] < 80, runs  # broken by a figure that was not off track


def _slow_scrub(text: str, words: list[str]) -> str:
    """What the scrubber did before its index: every word looked for in every text."""
    folded = text.casefold()
    ordered = sorted({w.casefold() for w in words if w.strip()}, key=len, reverse=True)
    present = [w for w in ordered if w in folded]
    if not present:
        return text
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in present) + r")(?![\w-])",
                         re.IGNORECASE)
    return re.sub(rf"\s*\((?:{SOMEONE}(?:,\s*)?)+\)", "", pattern.sub(SOMEONE, text))


def test_the_scrubbers_index_takes_out_what_a_scan_of_every_word_did() -> None:
    words = ["ann-marsh", "Ann Marsh", "ann", "jo@example.org", "+44 7700 900123", "07700 900123",
             "Zoë Brontë", "o'neil", "-dash", "bay", "x"]
    texts = ["C-16 by bay-health (ann-marsh) was due", "Ann Marsh and ANN met jo@example.org",
             "call +44 7700 900123 or 07700 900123", "Zoë Brontë's note", "ZOË BRONTË", "annex ann.",
             "o'neil and O'Neil", "a -dash and x-ray, x", "nothing here", "(ann, Ann Marsh) said",
             "bay bay-area bay", "İnn ann"]
    scrubber = Scrubber(words)
    for text in texts:
        assert scrubber.scrub(text) == _slow_scrub(text, words), text
    assert scrubber.scrub("C-16 by bay-health (ann-marsh) was due") == "C-16 by bay-health was due"
