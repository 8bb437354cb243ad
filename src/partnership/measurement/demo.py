"""Step 4 of the demo: activities, indicators with two and a half years of quarterly
observations, and the story behind the curves.

The figures are made up but shaped on purpose: repeat victims and fire injuries are on
track, people feeling safe at night is at risk, and the exploitation indicator has been
off track for long enough that the pivot signal is raised. Observations run quarterly
from April 2024 to October 2026 (none after the partnership's today, so the demo can be
built with an earlier ``PARTNERSHIP_TODAY``).
"""

from __future__ import annotations

import datetime as dt
import random

from partnership.api import Partnership

ACTIVITIES = [
    ("hotspot-patrols", "PCSO patrols in the three hotspot wards", "county-police",
     ["fewer-repeat-asb"], "running", "2024-04-01"),
    ("asb-casework", "One caseworker for every repeat victim", "lunesdale-council",
     ["fewer-repeat-asb"], "running", "2024-06-01"),
    ("taxi-marshals", "Taxi marshals and a safe space on weekend nights", "lunesdale-council",
     ["safer-night-time"], "running", "2024-09-01"),
    ("detached-youth-work", "Detached youth work in parks and at the bus station", "youth-trust",
     ["fewer-young-people-exploited"], "running", "2024-04-01"),
    ("safe-and-well-visits", "Safe and well visits to older people living alone", "northshire-fire",
     ["fewer-home-fire-injuries", "fewer-repeat-asb"], "running", "2024-04-01"),
]

BASELINE_DATE = "2024-04-01"
TARGET_DATE = "2027-03-31"

# slug, outcome, title, unit, direction, baseline, target, source, activity, rba,
# (first change per quarter, noise) -> the quarterly series
INDICATORS = [
    ("repeat-victims", "fewer-repeat-asb", "Residents reporting ASB three or more times in a quarter",
     "people", "down", 412, 330, "Police.uk and council ASB records", None, None, (-8.0, 4.0)),
    ("patrol-hours", "fewer-repeat-asb", "PCSO patrol hours in hotspot wards",
     "hours", "up", 200, 300, "Force duty rosters", "hotspot-patrols", "how-much", (9.0, 6.0)),
    ("feel-safe-at-night", "safer-night-time", "Residents who feel safe in the town centre after dark",
     "%", "up", 54, 65, "Residents' survey (quarterly panel)", None, None, (0.78, 0.4)),
    ("exploitation-referrals", "fewer-young-people-exploited",
     "Young people referred as victims of criminal exploitation", "young people", "down", 48, 30,
     "Multi-agency child exploitation panel", None, None, (0.4, 1.5)),
    ("home-fire-injuries", "fewer-home-fire-injuries", "People over 65 hurt in fires at home",
     "people", "down", 6, 4, "Fire service incident records", None, None, (-0.2, 0.3)),
    ("safe-and-well-referrals-housed", "fewer-home-fire-injuries",
     "Visited residents whose home was made safer", "%", "up", 60, 80,
     "Safe and well visit forms", "safe-and-well-visits", "better-off", (2.2, 1.0)),
]

STORY = [
    ("exploitation-referrals", "2025-04-10", "why",
     "County lines from the city moved into two estates after a police operation there.", "kat-hughes"),
    ("exploitation-referrals", "2025-10-15", "works",
     "Youth workers at the bus station reach young people, but after they are already involved.",
     "kat-hughes"),
    ("exploitation-referrals", "2026-07-20", "next",
     "Off track for over a year: the partners agreed to pivot to schools-based prevention with "
     "the A&E youth navigator.", "ann-marsh"),
    ("feel-safe-at-night", "2026-04-12", "why",
     "Better since taxi marshals started, but street lighting works slowed the rise.", "sam-lee"),
    ("repeat-victims", "2025-07-05", "works",
     "Giving every repeat victim one named caseworker cut repeat calls fastest.", "sam-lee"),
]


def quarters(start: str, n: int) -> list[dt.date]:
    d = dt.date.fromisoformat(start)
    out = []
    for i in range(1, n + 1):
        month = d.month - 1 + 3 * i
        out.append(dt.date(d.year + month // 12, month % 12 + 1, 1))
    return out


def populate(p: Partnership) -> None:
    m = p.measure
    for slug, title, partner, outcomes, status, start in ACTIVITIES:
        m.add_activity(slug, title=title, partner=partner, outcomes=outcomes, status=status,
                       start_date=start)
    rng = random.Random(4)
    today = p.today()
    for (slug, outcome, title, unit, direction, baseline, target, source, activity, rba,
         (step, noise)) in INDICATORS:
        m.add_indicator(slug, outcome=outcome, title=title, unit=unit, direction=direction,
                        baseline=baseline, baseline_date=BASELINE_DATE, target=target,
                        target_date=TARGET_DATE, source=source, activity=activity, rba=rba)
        value = float(baseline)
        for date in quarters(BASELINE_DATE, 10):
            value += step
            if date > today:
                break
            m.observe(slug, round(value + rng.uniform(-noise, noise), 1), date=date,
                      source=source)
    for indicator, on, kind, text, author in STORY:
        if dt.date.fromisoformat(on) <= today:
            m.add_story(indicator, text, date=on, kind=kind, author=author)
    # the figures are computed once, after every feature's step (partnership.demo.build)
