"""What step 3 publishes: needs, capacity, gap states, the running totals and the
views of the analysis (the same SQL as the working file's), and where the gaps are."""

from __future__ import annotations

from typing import Any

from partnership.publicdata import PublicData, PublicQuery, described
from partnership.records import entity_of

#: the views of the analysis stored as tables in the public file: none. The per-need views
#: read each need's totals and state by key, so a page of one, and its count, takes about
#: as long as a stored table's (measured at 25,000 needs), and the file holds no second
#: and third copy of every need (``where_are_the_gaps``, linked from the home page, is)
PER_NEED: tuple[str, ...] = ()


def public_data() -> list[PublicData | PublicQuery]:
    from .migrations import GAP_VIEWS_V2
    from .service import MODELS, TOTALS_TABLES

    items = [
        *(PublicData.of_model(cls) for cls in MODELS if entity_of(cls).public),
        *(PublicData(name=name, kind="table", copy=columns) for name, columns in TOTALS_TABLES.items()),
        # views in the public file, computed from its copies of the tables (see PER_NEED)
        *(PublicData(name=name, sql=sql, materialise=name in PER_NEED,
                     index=("outcome",) if name in PER_NEED else ())
          for name, sql in GAP_VIEWS_V2.items()),
        # where are the gaps: one row per need, with the outcome's verdict; stored killers
        # first (the order of the 'where-are-the-gaps' question), the order of its table page
        PublicData(name="where_are_the_gaps", materialise=True, index=("outcome", "state"), sql="""
        SELECT * FROM (
        SELECT g.outcome AS outcome, o.title AS outcome_title, g.need AS need,
               g.description AS description, g.essential AS essential,
               g.state AS state, g.gap AS gap, g.unit AS unit, g.killer AS killer,
               g.candidate AS candidate, v.verdict AS verdict
        FROM gaps g JOIN outcomes o ON o.slug = g.outcome
        LEFT JOIN outcome_verdicts v ON v.outcome = g.outcome
        ) ORDER BY killer DESC, essential DESC, outcome_title, outcome, need
        """),
    ]
    return [*described(items, DESCRIPTIONS), *QUERIES]


#: what the public site says about each table and view (shown on its page and
#: in datasette-metadata.yml, which 'partnership metadata' writes from this)
DESCRIPTIONS: dict[str, dict[str, Any]] = {
    'needs': {
        'description': ('What each outcome needs (step 3): an amount in a unit, or a yes/no '
                         'need without one. Essential needs must be met, filled from outside '
                         'or accepted.'),
        'columns': {
            'outcome': 'The outcome that needs it.',
            'slug': 'Short name of the need.',
            'kind': 'People, money, skills, data, systems, premises or other.',
            'description': 'What exactly is needed.',
            'amount': 'How much is needed (empty for a yes/no need).',
            'unit': 'The unit of the amount.',
            'essential': '1 if the outcome cannot be achieved without it, 0 if it would help.',
        },
    },
    'capacities': {
        'description': ('What each partner says it can really give, per kind and unit, across'
                         ' all its outcomes (honest capacity).'),
        'columns': {
            'partner': ('The partner organisation (its short identifier; see the partners '
                          'table).'),
            'kind': 'People, money, skills, data, systems, premises or other.',
            'unit': 'The unit the capacity is counted in.',
            'amount': 'How much the partner can give in total.',
            'note': 'A note on the capacity.',
        },
    },
    'gap_states': {
        'description': ('What is being done about each gap (a need not met): open, seeking a '
                         'group outside the partnership, filled externally, or accepted. A '
                         'need with no row here is open.'),
        'columns': {
            'outcome': 'The shared outcome (its short identifier; see the outcomes table).',
            'need': 'The need (its short name within the outcome).',
            'state': 'open, seeking, filled-externally or accepted.',
            'candidate': 'The group outside the partnership being sought, or that filled it.',
            'reason': 'Why the outcome can be achieved without it (accepted gaps).',
            'note': 'A note on the gap.',
            'since': 'When the state was last set.',
        },
    },
    'need_totals': {
        'description': ('Running totals behind the gaps: per need, how many contributions '
                         'count toward it and how much they bring (kept up to date on every '
                         'change).'),
        'columns': {
            'outcome': 'The shared outcome (its short identifier; see the outcomes table).',
            'need': 'The need (its short name within the outcome).',
            'firm_matched': 'How many firm contributions meet the need.',
            'firm_met': "How much firm contributions in the need's unit bring.",
            'likely_matched': 'How many firm or likely contributions meet the need.',
            'likely_met': "How much firm or likely contributions in the need's unit bring.",
            'hoped': ('How many merely hoped-for contributions name the need (they do not '
                        'count).'),
            'naming': 'How many contributions name the need at all.',
        },
    },
    'capacity_totals': {
        'description': ('Running totals behind capacity use: per declared capacity, what the '
                         "partner's contributions of that kind and unit add up to across all "
                         'outcomes (kept up to date on every change).'),
        'columns': {
            'partner': ('The partner organisation (its short identifier; see the partners '
                          'table).'),
            'kind': 'People, money, skills, data, systems, premises or other.',
            'unit': 'The unit the capacity is counted in.',
            'used': "What the partner's contributions of that kind and unit add up to.",
            'used_firm': 'The same, counting firm contributions only.',
            'contributions': 'How many contributions are counted.',
            'outcomes': 'How many outcomes they go to.',
        },
    },
    'outcome_totals': {
        'description': ('Running totals behind the verdicts: per outcome, its needs counted '
                         'by the state of their gaps, counting firm contributions only (basis '
                         'firm) or likely ones too (basis likely).'),
        'columns': {
            'outcome': 'The shared outcome (its short identifier; see the outcomes table).',
            'basis': 'firm (only firm contributions count) or likely (likely ones count too).',
            'needs': 'Needs recorded.',
            'essential': 'Essential needs.',
            'met': 'Needs met.',
            'open': 'Gaps nobody is dealing with.',
            'seeking': 'Gaps a group outside the partnership is being sought for.',
            'filled_externally': 'Gaps filled from outside the partnership.',
            'accepted': 'Gaps accepted: the outcome can be achieved without them.',
            'killers': 'Collaboration killers: essential needs unmet and open.',
            'essential_seeking': 'Essential needs being sought outside.',
        },
    },
    'gaps': {
        'description': ('Where are the gaps (step 3): every need with what firm contributions'
                         ' meet of it, the gap, and what is being done about it. An open gap '
                         'on an essential need is a collaboration killer.'),
        'columns': {
            'outcome': 'The shared outcome (its short identifier; see the outcomes table).',
            'need': 'The need (its short name within the outcome).',
            'kind': 'People, money, skills, data, systems, premises or other.',
            'description': 'What exactly is needed.',
            'essential': '1 if the outcome cannot be achieved without it.',
            'needed': 'How much is needed (empty for a yes/no need).',
            'unit': 'The unit of the need.',
            'met': "How much the counted contributions bring, in the need's unit.",
            'gap': 'How much is missing, in the unit (0 when met).',
            'cover': 'met, partly-met or unmet.',
            'state': ('met, open, seeking (another group could fill it), filled-externally '
                        'or accepted.'),
            'candidate': 'The group outside the partnership being sought, or that filled it.',
            'reason': 'Why the outcome can be achieved without it (accepted gaps).',
            'note': 'A note on the gap.',
            'since': 'When the state of the gap was last set.',
            'killer': ('1 for a collaboration killer: an essential need, not met, that '
                         'nobody is dealing with.'),
            'contributions': 'How many contributions count toward the need.',
            'hoped': ('How many merely hoped-for contributions name the need (they do not '
                        'count).'),
        },
    },
    'gaps_counting_likely': {
        'description': ('The same as gaps, but counting likely contributions as well as firm '
                         'ones: what the picture would be if every likely promise came true.'),
        'columns': {
            'outcome': 'The shared outcome (its short identifier; see the outcomes table).',
            'need': 'The need (its short name within the outcome).',
            'kind': 'People, money, skills, data, systems, premises or other.',
            'description': 'What exactly is needed.',
            'essential': '1 if the outcome cannot be achieved without it.',
            'needed': 'How much is needed (empty for a yes/no need).',
            'unit': 'The unit of the need.',
            'met': "How much the counted contributions bring, in the need's unit.",
            'gap': 'How much is missing, in the unit (0 when met).',
            'cover': 'met, partly-met or unmet.',
            'state': ('met, open, seeking (another group could fill it), filled-externally '
                        'or accepted.'),
            'candidate': 'The group outside the partnership being sought, or that filled it.',
            'reason': 'Why the outcome can be achieved without it (accepted gaps).',
            'note': 'A note on the gap.',
            'since': 'When the state of the gap was last set.',
            'killer': ('1 for a collaboration killer: an essential need, not met, that '
                         'nobody is dealing with.'),
            'contributions': 'How many contributions count toward the need.',
            'hoped': ('How many merely hoped-for contributions name the need (they do not '
                        'count).'),
        },
    },
    'outcome_verdicts': {
        'description': ('The verdict of step 3 per outcome: on-course, at-risk (essential '
                         'gaps being sought outside), reboot (a collaboration killer) or no-'
                         'needs (none recorded yet). Only firm contributions count.'),
        'columns': {
            'outcome': 'The shared outcome (its short identifier; see the outcomes table).',
            'title': 'The outcome in words.',
            'status': ('Where the partnership is with the outcome (proposed, agreed, '
                         'achieved, dropped...).'),
            'verdict': ("Step 3's verdict: on-course, at-risk (essential gaps being sought "
                          'outside), reboot (a collaboration killer) or no-needs (none '
                          'recorded yet).'),
            'needs': 'Needs recorded.',
            'essential_needs': 'Essential needs.',
            'met': 'Needs met.',
            'open': 'Gaps nobody is dealing with.',
            'seeking': 'Gaps a group outside the partnership is being sought for.',
            'filled_externally': 'Gaps filled from outside.',
            'accepted': 'Gaps accepted.',
            'killers': 'Collaboration killers.',
        },
    },
    'outcome_verdicts_counting_likely': {
        'description': 'The same verdicts, counting likely contributions as well as firm ones.',
        'columns': {
            'outcome': 'The shared outcome (its short identifier; see the outcomes table).',
            'title': 'The outcome in words.',
            'status': ('Where the partnership is with the outcome (proposed, agreed, '
                         'achieved, dropped...).'),
            'verdict': ("Step 3's verdict: on-course, at-risk (essential gaps being sought "
                          'outside), reboot (a collaboration killer) or no-needs (none '
                          'recorded yet).'),
            'needs': 'Needs recorded.',
            'essential_needs': 'Essential needs.',
            'met': 'Needs met.',
            'open': 'Gaps nobody is dealing with.',
            'seeking': 'Gaps a group outside the partnership is being sought for.',
            'filled_externally': 'Gaps filled from outside.',
            'accepted': 'Gaps accepted.',
            'killers': 'Collaboration killers.',
        },
    },
    'capacity_use': {
        'description': ('What each partner declared it can really give, per kind and unit, '
                         'against what its contributions across all outcomes add up to. Over-'
                         'committed means promising more than it has.'),
        'columns': {
            'partner': ('The partner organisation (its short identifier; see the partners '
                          'table).'),
            'kind': 'People, money, skills, data, systems, premises or other.',
            'unit': 'The unit of the amount (FTE, GBP, hours, sessions...).',
            'capacity': 'What the partner says it can give in total.',
            'used': ('What its contributions of this kind and unit add up to, whatever their'
                       ' confidence.'),
            'used_firm': 'What its firm contributions add up to.',
            'contributions': 'How many contributions.',
            'outcomes': 'How many outcomes they go to.',
            'over_by': 'How much more is promised than the capacity (0 if none).',
            'over_committed': '1 when the partner promises more than it has.',
        },
    },
    'unmatched_contributions': {
        'description': ('Contributions that count toward no need: they name none, or are '
                         'counted in another unit than the need they name.'),
        'columns': {
            'contribution': 'Number of the contribution.',
            'outcome': 'The shared outcome (its short identifier; see the outcomes table).',
            'partner': ('The partner organisation (its short identifier; see the partners '
                          'table).'),
            'kind': 'People, money, skills, data, systems, premises or other.',
            'description': 'What is brought.',
            'amount': 'How much.',
            'unit': 'The unit of the amount (FTE, GBP, hours, sessions...).',
            'meets': 'The need it names, if any.',
            'confidence': 'firm, likely or hoped.',
            'why': 'Why it counts toward no need.',
        },
    },
    'where_are_the_gaps': {
        'description': ('Where are the gaps: every need of every outcome, whether it is met, '
                         "what is missing and the outcome's verdict."),
        'columns': {
            'outcome': 'The shared outcome (its short identifier; see the outcomes table).',
            'outcome_title': 'The outcome in words.',
            'need': 'What is needed (its short name).',
            'description': 'What exactly is needed.',
            'essential': '1 if the outcome cannot be achieved without it.',
            'state': 'met, open, seeking, filled-externally or accepted.',
            'gap': 'How much is missing.',
            'unit': 'The unit of the gap.',
            'killer': '1 for a collaboration killer.',
            'candidate': 'The group outside the partnership being sought, or that filled it.',
            'verdict': "The outcome's verdict: on-course, at-risk, reboot or no-needs.",
        },
    },
}


#: the canned queries this step adds to the public site (each a page of its own)
QUERIES: list[PublicQuery] = [
    PublicQuery(name='where-are-the-gaps', title='Where are the gaps?',
                description=('What the outcomes need that nobody in the partnership brings '
                             "yet, collaboration killers first, with each outcome's verdict."),
                sql="""
                select outcome_title as outcome, need, description, essential, state, gap, unit,
                       killer, candidate, verdict
                from where_are_the_gaps
                where state != 'met'
                order by killer desc, essential desc, outcome_title
                """),
    PublicQuery(name='gaps-and-verdicts', title='Verdicts per outcome',
                description=("Step 3's verdict on every outcome, with its needs counted by the"
                             ' state of their gaps.'),
                sql="""
                select title as outcome, status, verdict, needs, essential_needs, met, open,
                       seeking, filled_externally, accepted, killers
                from outcome_verdicts
                order by case verdict when 'reboot' then 0 when 'at-risk' then 1
                         when 'on-course' then 2 else 3 end, title
                """),
]
