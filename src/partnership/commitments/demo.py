"""The demo's commitments: a year of promises, from November 2025 to October 2026.

Most are kept, some kept late, two withdrawn with a reason, some overdue, and Bay Health
pledges only business as usual (``partnership check`` says so). Every date is fixed.

Whether an open commitment is *overdue* is derived from the partnership's today, so
the ledger depends on the day you look: as on the demo's reference date
:data:`AS_OF` (2026-10-31) it shows three overdue commitments and four open ones. To see
it as on that day, run with ``PARTNERSHIP_TODAY=2026-10-31``. Building the demo with an
earlier ``PARTNERSHIP_TODAY`` leaves out what had not happened yet (commitments made,
delivered or withdrawn after it), so the result is still consistent.

The January board's actions (issue 6) become commitments when the meeting is recorded,
dated the day the demo is built; they are corrected here to the meeting's date, which
also shows a correction in the change log.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from partnership.api import Partnership

#: the demo's reference date: the figures in the docs and tests are as on this day
AS_OF = dt.date(2026, 10, 31)

# (partner, owner, what, outcome, created, due, additional, fate)
# fate: ("kept", date, evidence) - kept late when the date is after the due date -,
#       ("withdrawn", date, reason), or None (open: overdue once the due date has passed)
COMMITMENTS: list[tuple[str, str, str, str, str, str, bool, tuple[str, str, str] | None]] = [
    ("county-police", "jo-bloggs", "Share weekly hotspot data with the council",
     "fewer-repeat-asb", "2025-11-10", "2026-01-31", True,
     ("kept", "2026-01-20", "https://lunesdale-csp.example.org/data/hotspots")),
    ("victim-support", "lee-morgan", "Contact every repeat ASB victim within 48 hours of referral",
     "fewer-repeat-asb", "2025-11-05", "2026-01-31", True,
     ("kept", "2026-02-10", "Referral log shows contact within 48 hours since 10 February")),
    ("bay-health", "ann-marsh", "Continue safeguarding training for A&E staff",
     "domestic-abuse-help-sooner", "2025-11-15", "2026-03-31", False,
     ("kept", "2026-03-20", "Training records for 2025-26")),
    ("lunesdale-council", "sam-lee", "Fund late-night CCTV monitoring in the town centre",
     "safer-night-time", "2025-11-20", "2026-02-28", True,
     ("kept", "2026-02-20", "Cabinet decision of 20 February 2026")),
    ("county-police", "jo-bloggs", "Run joint patrols with street pastors on Friday and Saturday nights",
     "safer-night-time", "2025-12-01", "2026-03-31", True,
     ("kept", "2026-04-18", "Patrol rota agreed with the street pastors; first joint patrol 18 April")),
    ("northshire-fire", "tom-okafor",
     "Home fire safety visits for everyone over 65 living alone referred by the NHS trust",
     "fewer-home-fire-injuries", "2025-12-05", "2026-03-31", True,
     ("kept", "2026-03-28", "312 visits made, listed in the prevention team's report")),
    ("riverside-housing", "dev-patel", "Fund a tenancy sustainment officer for ASB victims",
     "fewer-repeat-asb", "2025-12-10", "2026-04-01", True,
     ("kept", "2026-03-25", "https://riverside-homes.example.org/news/new-tenancy-officer")),
    ("lunesdale-council", "priya-shah",
     "Put repeat-ASB cases on the housing register's priority review",
     "fewer-repeat-asb", "2026-01-10", "2026-04-30", True,
     ("kept", "2026-06-05", "Allocations policy amended, in force from 5 June")),
    ("bay-health", "ann-marsh", "Keep the existing IDVA post in the emergency department",
     "domestic-abuse-help-sooner", "2026-01-15", "2026-06-30", False,
     ("kept", "2026-07-14", "Post funded for 2026-27 in the trust's budget")),
    ("youth-trust", "kat-hughes", "Run detached youth work in Ryelands park on Friday nights",
     "fewer-young-people-exploited", "2026-01-25", "2026-03-01", True,
     ("kept", "2026-02-27", "Session logs from 27 February")),
    ("good-neighbours", "rosa-diaz",
     "Volunteer befrienders check on older residents after fire safety visits",
     "fewer-home-fire-injuries", "2026-02-01", "2026-05-31", True,
     ("kept", "2026-05-20", "40 befriending visits logged")),
    ("county-police", "jo-bloggs", "Train neighbourhood officers to spot criminal exploitation",
     "fewer-young-people-exploited", "2026-02-15", "2026-06-30", True,
     ("kept", "2026-06-12", "Training records: 46 officers trained")),
    ("lunesdale-council", "sam-lee", "Survey the street lighting of the Marsh estate",
     "safer-night-time", "2026-03-01", "2026-07-31", True,
     ("withdrawn", "2026-07-10", "Budget cut in the 2026 settlement; the county highways team "
                                 "will survey instead")),
    ("bay-health", "ann-marsh", "Share the annual falls and fire-injury figures",
     "fewer-home-fire-injuries", "2026-03-10", "2026-05-31", False, None),
    ("northshire-fire", "tom-okafor", "Fit smoke alarms on referral within 10 working days",
     "fewer-home-fire-injuries", "2026-04-01", "2026-09-30", False,
     ("kept", "2026-09-15", "Referral-to-fitting times in the quarterly prevention report")),
    ("youth-trust", "kat-hughes", "Offer mentoring places to 20 young people referred by the police",
     "fewer-young-people-exploited", "2026-04-01", "2026-09-30", True,
     ("withdrawn", "2026-08-20", "Lottery bid turned down; re-bidding for 2027")),
    ("riverside-housing", "dev-patel", "Target-harden the homes of repeat victims within 5 days",
     "fewer-repeat-asb", "2026-04-15", "2026-08-31", True, None),
    ("county-police", "ben-clarke", "Give analyst time to a quarterly repeat-victim profile",
     "fewer-repeat-asb", "2026-05-01", "2026-12-31", True, None),
    ("victim-support", "lee-morgan", "Put a domestic abuse helpline leaflet in every GP surgery",
     "domestic-abuse-help-sooner", "2026-05-15", "2026-07-31", True,
     ("kept", "2026-07-30", "Leaflets delivered to all 14 surgeries")),
    ("lunesdale-council", "sam-lee", "Publish a single ASB reporting page for all partners",
     "fewer-repeat-asb", "2026-06-01", "2026-09-30", True, None),
    ("bay-health", "ann-marsh", "Attend the multi-agency tasking group",
     "fewer-repeat-asb", "2026-06-01", "2026-12-31", False, None),
    ("northshire-fire", "tom-okafor",
     "Run fire-setting sessions for young people referred by the youth trust",
     "fewer-young-people-exploited", "2026-07-01", "2026-11-30", True, None),
    ("good-neighbours", "rosa-diaz", "Recruit 10 street-safe volunteers for the night-time economy",
     "safer-night-time", "2026-08-01", "2026-10-31", True, None),
]

#: the January board's actions: (owner, first words, additional, fate)
BOARD_ACTIONS: list[tuple[str, str, bool, tuple[str, str, str] | None]] = [
    ("sam-lee", "draft the information-sharing MoU", True,
     ("kept", "2026-03-20", "Information-sharing agreement signed by all partners")),
    ("dev-patel", "send weekly ASB reports", True,
     ("kept", "2026-01-30", "Weekly report from tenancy officers, first sent 30 January")),
]
BOARD_DATE = "2026-01-20"


def _settle(p: Partnership, ident: int, fate: tuple[str, str, str] | None) -> None:
    if fate is None:
        return
    kind, date, text = fate
    if dt.date.fromisoformat(date) > p.today():
        return  # not happened yet on the day the demo is built
    if kind == "kept":
        p.commitments.deliver(ident, evidence=text, date=date)
    else:
        p.commitments.withdraw(ident, reason=text, date=date)


def populate(p: Partnership) -> None:
    today = p.today()
    # the board's actions, made commitments when the meeting was recorded
    rows = p.store.query(
        "SELECT a.owner, a.what, a.commitment FROM actions a WHERE a.commitment IS NOT NULL "
        "AND a.meeting = 'board-2026-01' ORDER BY a.id")
    for owner, start, additional, fate in BOARD_ACTIONS:
        for row in rows:
            if row["owner"] == owner and row["what"].startswith(start):
                if dt.date.fromisoformat(BOARD_DATE) <= today:
                    p.commitments.correct(row["commitment"], created=BOARD_DATE,
                                          additional=additional)
                _settle(p, row["commitment"], fate)
    for partner, owner, what, outcome, created, due, additional, fate in COMMITMENTS:
        if dt.date.fromisoformat(created) > today:
            continue
        made = p.commitments.commit(partner, what, owner=owner, outcome=outcome, due=due,
                                    additional=additional, created=created)
        _settle(p, cast(int, made.id), fate)  # stored, so numbered
