"""The partnership's own health in the demo: three rounds of unmentoring pairs, two rounds
of self-assessment (with members who disagree), and answers to the governance questions.

Everything is seeded and dated from fixed dates, so the demo is the same on every build.
"""

from __future__ import annotations

from partnership.api import Partnership

#: the people who opted in to unmentoring (everyone but the analyst)
MEMBERS = ["jo-bloggs", "sam-lee", "priya-shah", "tom-okafor", "ann-marsh", "dev-patel",
           "kat-hughes", "lee-morgan", "rosa-diaz"]

#: (round, date of the draw, seed)
ROUNDS = [("2026-01", "2026-01-05", 11), ("2026-02", "2026-02-02", 12), ("2026-03", "2026-03-02", 13)]

#: outputs shared by the groups that met, per round (group number -> output)
OUTPUTS = {
    "2026-01": {1: "https://lunesdale-csp.example.org/notes/what-a-night-shift-sees",
                2: "", 3: "Note: one referral form for hoarding and fire risk"},
    "2026-02": {1: "", 2: "https://lunesdale-csp.example.org/notes/youth-work-and-policing",
                4: "Blog: what a tenancy officer wishes the police knew"},
    "2026-03": {2: "https://lunesdale-csp.example.org/notes/street-pastors-and-paramedics"},
}

#: (area, round, date, by, score, now, want, evidence)
ASSESSMENTS = [
    ("capacity", "2026-01", "2026-01-20", "sam-lee", 2,
     "Few managers know what the new serious violence duty will demand of them",
     "Every partner has two leaders trained in collaborative working",
     ["Survey of managers, Jan 2026", "Training records"]),
    ("capacity", "2026-01", "2026-01-21", "jo-bloggs", 4,
     "Neighbourhood teams already work across agencies every day",
     "Learning from neighbourhood teams spreads to every partner", ["Ward meeting minutes"]),
    ("capacity", "2026-01", "2026-01-22", "rosa-diaz", 1,
     "Volunteers are rarely told what the statutory partners have learned",
     "Volunteers are part of every learning event", []),
    ("coherence", "2026-01", "2026-01-20", "sam-lee", 3,
     "Decisions are taken at the board, but staff hear of them late",
     "A one-page summary of decisions reaches every team within a week", ["Board minutes"]),
    ("coherence", "2026-01", "2026-01-23", "dev-patel", 2,
     "Each partner counts anti-social behaviour differently",
     "One shared ASB data set", ["Data audit, Dec 2025"]),
    ("activity", "2026-01", "2026-01-24", "kat-hughes", 3,
     "We have not agreed how much risk we accept with the youth outreach pilot",
     "An agreed risk appetite and a definition of success", []),
    ("capacity", "2026-03", "2026-03-16", "sam-lee", 3,
     "Eight managers trained; the rest booked for April",
     "Every partner has two leaders trained in collaborative working", ["Training records"]),
    ("capacity", "2026-03", "2026-03-17", "jo-bloggs", 4,
     "Unmentoring pairs spread what neighbourhood teams know",
     "Learning from neighbourhood teams spreads to every partner", ["Unmentoring outputs"]),
    ("capacity", "2026-03", "2026-03-18", "rosa-diaz", 3,
     "Volunteers were invited to two learning events this quarter",
     "Volunteers are part of every learning event", ["Event sign-in sheets"]),
    ("coherence", "2026-03", "2026-03-16", "sam-lee", 3,
     "Decision summaries now go out, though not yet within a week",
     "A one-page summary of decisions reaches every team within a week", []),
    ("coherence", "2026-03", "2026-03-19", "dev-patel", 1,
     "The shared ASB data set stalled on an information-sharing agreement",
     "One shared ASB data set", ["Draft ISA, Feb 2026"]),
    ("activity", "2026-03", "2026-03-20", "kat-hughes", 4,
     "Risk appetite agreed at the February board",
     "An agreed risk appetite and a definition of success", ["Board decision 2026-02"]),
]

GOVERNANCE_ANSWERS = [
    (1, "Partly: a three-year plan sets the outcomes, and each quarter the board can move "
        "resources between them.", "sam-lee", "2026-02-10"),
    (2, "By consensus at the board; where there is none, the outcome's lead partner decides "
        "and records why.", "sam-lee", "2026-02-10"),
]


def populate(p: Partnership) -> None:
    for person in MEMBERS:
        p.pairs.join(person, on="2026-01-02")
    p.pairs.pause("ann-marsh", "2026-02-20")  # on leave in February
    for label, date, seed in ROUNDS:
        p.pairs.draw(label, seed=seed, on=date)
        detail = p.pairs.round_detail(label)
        for number, output in OUTPUTS.get(label, {}).items():
            group = next((g for g in detail["pairs"] if g["number"] == number), None)
            if group is None:
                continue
            people = [m["person"] for m in group["people"]]
            p.pairs.met(label, people, output=output, on=date[:8] + "20")
    for area, label, date, by, score, now, want, evidence in ASSESSMENTS:
        p.assess.add(area, round=label, date=date, by=by, score=score, now=now, want=want,
                     evidence=evidence)
    p.assess.add_area("culture", "Culture", [
        "Do partners feel safe to say what they cannot do?",
        "Is failure discussed openly and learned from?",
    ])
    for number, text, by, date in GOVERNANCE_ANSWERS:
        p.governance.answer(number, text, by=by, on=date)
