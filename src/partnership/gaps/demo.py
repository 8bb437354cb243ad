"""Step 3 of the demo: what the Lunesdale outcomes need, and where the gaps are.

It shows every case of ``partnership gaps``: needs met by contributions (amounts in a
unit, and yes/no needs), a gap being sought outside the partnership (YMCA youth work
for fewer-repeat-asb, so that outcome is at risk), an accepted gap (safe-space funding),
a partner over-committed across outcomes (the Youth Trust promises 3 FTE of youth workers
but has 2.5), one collaboration killer (no information-sharing agreement for
fewer-young-people-exploited, so that outcome must reboot), an unmatched contribution
(the case management system meets no recorded need), and an outcome with no needs yet.
"""

from __future__ import annotations

from partnership.api import Partnership

# outcome, slug, kind, amount, unit, essential, description
NEEDS = [
    ("fewer-repeat-asb", "hotspot-patrols", "people", 2, "FTE", True,
     "Visible patrols in Skerton, Ryelands and the Marsh"),
    ("fewer-repeat-asb", "asb-casework", "people", 1, "FTE", True,
     "A caseworker who owns each repeat case until it is resolved"),
    ("fewer-repeat-asb", "tenancy-reports", "data", None, None, True,
     "Reports of ASB from housing officers, weekly"),
    ("fewer-repeat-asb", "youth-outreach", "people", 3, "FTE", True,
     "Detached youth workers in the three hotspot wards"),
    ("fewer-repeat-asb", "victim-training", "skills", 6, "sessions", False,
     "Repeat-victim risk assessment training for frontline staff"),
    ("safer-night-time", "town-centre-patrols", "people", 12, "hours/week", True,
     "Police presence on Friday and Saturday nights"),
    ("safer-night-time", "safe-space-funding", "money", 60000, "GBP", True,
     "A safe space and taxi marshals three nights a week"),
    ("safer-night-time", "street-pastors", "people", 20, "volunteers", False,
     "Street pastors on the main routes home"),
    ("fewer-young-people-exploited", "youth-workers", "people", 2, "FTE", True,
     "Youth workers who reach young people before the gangs do"),
    ("fewer-young-people-exploited", "intelligence", "data", None, None, True,
     "Intelligence on county lines activity and the children involved"),
    ("fewer-young-people-exploited", "information-sharing", "data", None, None, True,
     "An information-sharing agreement covering police intelligence, A&E attendances "
     "and youth work case notes"),
    ("fewer-young-people-exploited", "ae-navigator", "people", 0.5, "FTE", False,
     "A youth navigator in A&E"),
    ("fewer-home-fire-injuries", "safe-and-well-visits", "people", 400, "visits/year", True,
     "Home safety visits to people over 65 living alone"),
    ("fewer-home-fire-injuries", "frail-referrals", "data", None, None, True,
     "Referrals of frail patients on discharge from hospital"),
]

# which need each core contribution meets, by (outcome, partner, description)
MEETS = [
    ("fewer-repeat-asb", "county-police", "Two PCSOs for the three hotspot wards", "hotspot-patrols"),
    ("fewer-repeat-asb", "lunesdale-council", "ASB caseworker", "asb-casework"),
    ("fewer-repeat-asb", "riverside-housing", "Weekly ASB reports from tenancy officers",
     "tenancy-reports"),
    ("fewer-repeat-asb", "victim-support", "Repeat-victim risk assessment training",
     "victim-training"),
    ("safer-night-time", "county-police", "Weekend town-centre patrols", "town-centre-patrols"),
    ("safer-night-time", "lunesdale-council", "Taxi marshals and safe space funding",
     "safe-space-funding"),
    ("safer-night-time", "good-neighbours", "Street pastor volunteers", "street-pastors"),
    ("fewer-young-people-exploited", "youth-trust", "Detached youth workers", "youth-workers"),
    ("fewer-young-people-exploited", "county-police", "Intelligence on county lines activity",
     "intelligence"),
    ("fewer-young-people-exploited", "bay-health", "A&E youth navigator", "ae-navigator"),
    ("fewer-home-fire-injuries", "northshire-fire", "Safe and well visits", "safe-and-well-visits"),
    ("fewer-home-fire-injuries", "bay-health", "Referrals of frail patients on discharge",
     "frail-referrals"),
]

# partner, kind, amount, unit, note
CAPACITY = [
    ("youth-trust", "people", 2.5, "FTE", "Two full-time detached youth workers and a half-time lead"),
    ("county-police", "people", 2, "FTE", "PCSOs the neighbourhood team can spare"),
    ("northshire-fire", "people", 450, "visits/year", "Prevention team's visits across the district"),
    ("lunesdale-council", "money", 60000, "GBP", "Community safety budget 2026/27"),
]


def populate(p: Partnership) -> None:
    for outcome, slug, kind, amount, unit, essential, description in NEEDS:
        p.gaps.add_need(outcome, slug, kind=kind, amount=amount, unit=unit,
                        essential=essential, description=description)
    for outcome, partner, description, need in MEETS:
        found = p.store.conn.execute(
            "SELECT id FROM contributions WHERE outcome = ? AND partner = ? AND description = ?",
            [outcome, partner, description]).fetchone()
        if found:  # the core demo may change; a missing contribution just stays unmatched
            p.contributions.update(found[0], meets=need)
    # a likely contribution that over-commits the Youth Trust across outcomes
    p.contributions.add(outcome="fewer-repeat-asb", partner="youth-trust", kind="people",
                        description="Detached youth worker for Skerton", amount=1, unit="FTE",
                        additional=True, meets="youth-outreach", confidence="likely")
    for partner, kind, amount, unit, note in CAPACITY:
        p.gaps.set_capacity(partner, kind=kind, amount=amount, unit=unit, note=note)
    p.gaps.seek("fewer-repeat-asb", "youth-outreach", candidate="Lancaster YMCA",
                note="YMCA runs detached youth work in Morecambe; first meeting on 12 March",
                on="2026-02-24")
    p.gaps.accept("safer-night-time", "safe-space-funding",
                  reason="The safe space can open two nights a week instead of three on "
                         "£45,000; Friday and Saturday carry 90% of the incidents",
                  on="2026-01-20")
