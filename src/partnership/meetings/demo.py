"""Step 5 of the demo: meetings and written updates.

A January board that was held (attendance, decisions, actions), a catch-up called off,
and three proposed March meetings for ``partnership meeting check``: the board passes
(MEET), the tasking group should be trimmed (TRIM) and the forum should not happen
(DON'T MEET). Partners post a stream of written updates. All dates are fixed.
"""

from __future__ import annotations

from partnership.api import Partnership

UPDATES = [
    ("2026-01-12", "county-police", "fewer-repeat-asb", "jo-bloggs",
     "Hotspot patrols started in Skerton: two PCSOs on foot five evenings a week."),
    ("2026-01-26", "riverside-housing", "fewer-repeat-asb", "dev-patel",
     "Tenancy officers now send weekly ASB reports; 14 households flagged in the first fortnight."),
    ("2026-02-02", "youth-trust", "fewer-young-people-exploited", "kat-hughes",
     "Detached youth work extended to Ryelands park on Friday nights."),
    ("2026-02-09", "northshire-fire", "fewer-home-fire-injuries", "tom-okafor",
     "112 safe and well visits in January, 31 of them from hospital discharge referrals."),
    ("2026-02-16", "good-neighbours", "safer-night-time", "rosa-diaz",
     "Six new street pastors trained; the safe space at the bus station opens on Saturdays."),
    ("2026-02-23", "victim-support", "fewer-repeat-asb", "lee-morgan",
     "Repeat-victim risk assessment training delivered to 40 officers and housing staff."),
    ("2026-03-02", "county-police", "fewer-repeat-asb", "ben-clarke",
     "Police quarterly figures: repeat ASB calls down 9% in the three hotspot wards."),
    ("2026-03-04", "bay-health", "fewer-young-people-exploited", "ann-marsh",
     "The A&E youth navigator saw 11 young people in February; 7 accepted support."),
]


def populate(p: Partnership) -> None:
    m = p.meetings

    # held: the January board, recorded with decisions and actions
    m.propose("board-2026-01", title="Partnership board, January", date="2026-01-20",
              minutes=90, chair="sam-lee", invite="jo-bloggs,dev-patel,kat-hughes,lee-morgan")
    m.pitch("board-2026-01", "Agree the repeat-ASB case review process", kind="decision",
            outcome="fewer-repeat-asb", needs="jo-bloggs,dev-patel,lee-morgan", by="sam-lee")
    m.pitch("board-2026-01", "Youth outreach: where the detached workers go next",
            kind="discussion", outcome="fewer-young-people-exploited", needs="kat-hughes,jo-bloggs",
            by="kat-hughes")
    m.record("board-2026-01", attended="sam-lee,jo-bloggs,dev-patel,kat-hughes,lee-morgan",
             decisions=["Repeat-ASB cases are reviewed weekly by police, council and housing together",
                        "Detached youth work extends to Ryelands park on Friday nights"],
             actions=["sam-lee: draft the information-sharing MoU by 2026-03-01",
                      "dev-patel: send weekly ASB reports from tenancy officers by 2026-02-01",
                      "kat-hughes: map Friday-night hotspots with the police analyst"])

    # avoided: a catch-up with only news on it, called off in favour of updates
    m.propose("catch-up-2026-02", title="Partners' catch-up", date="2026-02-17", minutes=60,
              invite="sam-lee,jo-bloggs,tom-okafor,ann-marsh,rosa-diaz,dev-patel")
    m.pitch("catch-up-2026-02", "Round the table: news from each partner", kind="information",
            by="sam-lee")
    m.cancel("catch-up-2026-02", "nothing to decide: partners posted written updates instead")

    # proposed, passes: every item is a decision or discussion tied to an outcome,
    # and everyone invited is needed
    m.propose("board-2026-03", title="Partnership board, March", date="2026-03-17", minutes=60,
              chair="sam-lee", invite="jo-bloggs,priya-shah,kat-hughes")
    m.pitch("board-2026-03", "Agree the youth outreach funding split", kind="decision",
            outcome="fewer-young-people-exploited", needs="kat-hughes,jo-bloggs", by="sam-lee")
    m.pitch("board-2026-03", "Sign the information-sharing MoU", kind="decision",
            outcome="fewer-repeat-asb", needs="jo-bloggs,priya-shah", by="sam-lee")

    # proposed, to trim: an information item, agenda stuffing and people nobody needs
    m.propose("tasking-2026-03", title="Multi-agency tasking group", date="2026-03-10",
              minutes=120, chair="jo-bloggs",
              invite="ben-clarke,dev-patel,priya-shah,tom-okafor,ann-marsh,rosa-diaz,lee-morgan")
    m.pitch("tasking-2026-03", "Task the Skerton hotspot patrols for April", kind="decision",
            outcome="fewer-repeat-asb", needs="ben-clarke,dev-patel", by="jo-bloggs")
    m.pitch("tasking-2026-03", "Police quarterly figures", kind="information",
            outcome="fewer-repeat-asb", by="ben-clarke")
    m.pitch("tasking-2026-03", "Christmas lunch arrangements", kind="discussion",
            needs="rosa-diaz", by="rosa-diaz")

    # proposed, should not happen: nothing to decide or discuss
    m.propose("forum-2026-03", title="Quarterly community safety forum", date="2026-03-24",
              minutes=120, invite="sam-lee,jo-bloggs,tom-okafor,ann-marsh,dev-patel,lee-morgan,"
                                  "kat-hughes,rosa-diaz")
    m.pitch("forum-2026-03", "Fire service prevention update", kind="information",
            outcome="fewer-home-fire-injuries", by="tom-okafor")
    m.pitch("forum-2026-03", "Night-time economy news", kind="information",
            outcome="safer-night-time", by="rosa-diaz")

    for date, partner, outcome, author, text in UPDATES:
        p.updates.post(partner, text, outcome=outcome, author=author, date=date)
