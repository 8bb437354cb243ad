"""Steps 1 and 2 of the demo: partners, people, outcomes, stakes, contributions.

Some outcomes deliberately fail the checks, so ``partnership check`` has something
to say: a forum that is an activity, a website with no beneficiaries, an outcome with
one stakeholder, a stake with no motivation, and an outcome fed only business as usual.
"""

from __future__ import annotations

import zlib
from typing import Any

from partnership.api import Partnership

#: the keyword arguments of :meth:`Partnership.create` for the demo partnership
INFO: dict[str, Any] = dict(
    name="Lunesdale Community Safety Partnership",
    purpose="Councils, police, fire, health, housing and the voluntary sector working together "
            "so that people in Lunesdale are safer and feel safer.",
    governance="alliance",
    website="https://lunesdale-csp.example.org",
)

PARTNERS = [
    ("lunesdale-council", "Lunesdale District Council", "council"),
    ("county-police", "Northshire Constabulary", "police"),
    ("northshire-fire", "Northshire Fire and Rescue Service", "fire"),
    ("bay-health", "Bay Health and Care NHS Trust", "health"),
    ("riverside-housing", "Riverside Homes Housing Association", "housing"),
    ("youth-trust", "Lunesdale Youth Trust", "charity"),
    ("victim-support", "Northshire Victim Support", "charity"),
    ("good-neighbours", "Good Neighbours Volunteer Network", "voluntary"),
]

PEOPLE = [
    ("jo-bloggs", "Jo Bloggs", "county-police", "Neighbourhood Inspector"),
    ("sam-lee", "Sam Lee", "lunesdale-council", "Community Safety Manager"),
    ("priya-shah", "Priya Shah", "lunesdale-council", "Head of Housing Services"),
    ("tom-okafor", "Tom Okafor", "northshire-fire", "Prevention Lead"),
    ("ann-marsh", "Ann Marsh", "bay-health", "Safeguarding Nurse Consultant"),
    ("dev-patel", "Dev Patel", "riverside-housing", "Tenancy Sustainment Manager"),
    ("kat-hughes", "Kat Hughes", "youth-trust", "Detached Youth Work Lead"),
    ("lee-morgan", "Lee Morgan", "victim-support", "Service Manager"),
    ("rosa-diaz", "Rosa Diaz", "good-neighbours", "Volunteer Coordinator"),
    ("ben-clarke", "Ben Clarke", "county-police", "Partnership Analyst"),
]

OUTCOMES = [
    ("fewer-repeat-asb", "Fewer residents suffer repeated anti-social behaviour",
     "Residents of the district, especially in Skerton, Ryelands and the Marsh", "agreed"),
    ("safer-night-time", "People feel safe in the town centre at night",
     "Residents, students and visitors using the town centre after dark", "agreed"),
    ("fewer-young-people-exploited", "Fewer young people are drawn into criminal exploitation",
     "Young people aged 10-18 at risk of county lines exploitation", "agreed"),
    ("fewer-home-fire-injuries", "Fewer older people are hurt in fires at home",
     "People over 65 living alone", "agreed"),
    ("domestic-abuse-help-sooner", "Survivors of domestic abuse get help sooner",
     "Survivors of domestic abuse and their children", "proposed"),
    ("quarterly-forum", "Hold a quarterly community safety forum",
     "Residents", "proposed"),
    ("partnership-website", "Launch a partnership website", "", "proposed"),
]

STAKES = [
    ("fewer-repeat-asb", "county-police", "Repeat calls take 30% of neighbourhood officer time"),
    ("fewer-repeat-asb", "lunesdale-council", "ASB is the top concern in the residents' survey"),
    ("fewer-repeat-asb", "riverside-housing", "Repeat ASB drives tenancy breakdown and voids"),
    ("fewer-repeat-asb", "victim-support", "Repeat victims are our most vulnerable clients"),
    ("safer-night-time", "county-police", "Night-time violence is a force priority"),
    ("safer-night-time", "lunesdale-council", "The evening economy is part of the town centre plan"),
    ("safer-night-time", "good-neighbours", "Our street pastors already walk these streets"),
    ("fewer-young-people-exploited", "youth-trust", "Exploited young people are the ones we lose"),
    ("fewer-young-people-exploited", "county-police", "County lines is a national priority for policing"),
    ("fewer-young-people-exploited", "bay-health", "A&E sees the stab wounds and overdoses"),
    ("fewer-home-fire-injuries", "northshire-fire", "Most fire deaths are of older people living alone"),
    ("fewer-home-fire-injuries", "bay-health", "Burns and falls in fires mean long hospital stays"),
    ("domestic-abuse-help-sooner", "victim-support", "Survivors wait too long for a first contact"),
    ("domestic-abuse-help-sooner", "bay-health", ""),
    ("quarterly-forum", "lunesdale-council", "The council chairs the forum"),
    ("partnership-website", "lunesdale-council", "Residents ask what the partnership does"),
    ("partnership-website", "county-police", "Confidence in policing"),
]

CONTRIBUTIONS = [
    ("fewer-repeat-asb", "county-police", "people", "Two PCSOs for the three hotspot wards", 2, "FTE", True),
    ("fewer-repeat-asb", "lunesdale-council", "people", "ASB caseworker", 1, "FTE", True),
    ("fewer-repeat-asb", "riverside-housing", "data",
     "Weekly ASB reports from tenancy officers", None, None, True),
    ("fewer-repeat-asb", "victim-support", "skills",
     "Repeat-victim risk assessment training", 6, "sessions", True),
    ("fewer-repeat-asb", "lunesdale-council", "systems",
     "Shared case management system (ECINS)", None, None, False),
    ("safer-night-time", "county-police", "people", "Weekend town-centre patrols", 12, "hours/week", False),
    ("safer-night-time", "lunesdale-council", "money",
     "Taxi marshals and safe space funding", 45000, "GBP", True),
    ("safer-night-time", "good-neighbours", "people", "Street pastor volunteers", 20, "volunteers", True),
    ("fewer-young-people-exploited", "youth-trust", "people", "Detached youth workers", 2, "FTE", True),
    ("fewer-young-people-exploited", "county-police", "data",
     "Intelligence on county lines activity", None, None, True),
    ("fewer-young-people-exploited", "bay-health", "people", "A&E youth navigator", 0.5, "FTE", True),
    ("fewer-home-fire-injuries", "northshire-fire", "people",
     "Safe and well visits", 400, "visits/year", False),
    ("fewer-home-fire-injuries", "bay-health", "data",
     "Referrals of frail patients on discharge", None, None, False),
    ("domestic-abuse-help-sooner", "victim-support", "people",
     "Independent domestic violence advisers", 3, "FTE", True),
    ("quarterly-forum", "lunesdale-council", "premises", "Town hall meeting room", 4, "sessions/year", False),
]


def populate(p: Partnership) -> None:
    for slug, name, kind in PARTNERS:
        p.partners.add(slug=slug, name=name, kind=kind)
    for slug, name, partner, role in PEOPLE:
        first = name.split()[0].lower()
        p.people.add(slug=slug, name=name, partner=partner, role=role,
                     email=f"{first}.{slug.split('-')[-1]}@{partner}.example.org",
                     phone=f"01524 {zlib.crc32(slug.encode()) % 900000 + 100000}")
    for slug, title, beneficiaries, status in OUTCOMES:
        p.outcomes.add(slug=slug, title=title, beneficiaries=beneficiaries, status=status)
    for outcome, partner, motivation in STAKES:
        p.stakes.add(outcome=outcome, partner=partner, motivation=motivation)
    for outcome, partner, kind, description, amount, unit, additional in CONTRIBUTIONS:
        p.contributions.add(outcome=outcome, partner=partner, kind=kind, description=description,
                            amount=amount, unit=unit, additional=additional)
