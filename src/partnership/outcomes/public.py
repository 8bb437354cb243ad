"""What steps 1 and 2 publish: partners, people (without contact details), outcomes,
stakes, contributions, and who does what."""

from __future__ import annotations

from typing import Any

from partnership.publicdata import PublicData, PublicQuery, described


def public_data() -> list[PublicData | PublicQuery]:
    from partnership import models

    items = [
        PublicData.of_model(models.Partner),
        PublicData.of_model(models.Person),
        PublicData.of_model(models.Outcome),
        PublicData.of_model(models.Stake),
        PublicData.of_model(models.Contribution),
        # who does what: partner x outcome, with stakes and contributions
        # stored in the order of the 'who-does-what' question (by outcome, then partner),
        # which is the order of its table page
        PublicData(name="who_does_what", materialise=True, index=("outcome", "partner"), sql="""
        SELECT * FROM (
        SELECT pa.slug AS partner, pa.name AS partner_name, o.slug AS outcome,
               o.title AS outcome_title, o.status AS outcome_status,
               s.motivation AS motivation,
               count(c.id) AS contributions,
               coalesce(sum(c.additional), 0) AS additional,
               group_concat(c.kind || ': ' || c.description, '; ') AS brings
        FROM stakes s
        JOIN partners pa ON pa.slug = s.partner
        JOIN outcomes o ON o.slug = s.outcome
        LEFT JOIN contributions c ON c.outcome = s.outcome AND c.partner = s.partner
        GROUP BY s.outcome, s.partner
        UNION ALL
        SELECT pa.slug, pa.name, o.slug, o.title, o.status, NULL,
               count(c.id), coalesce(sum(c.additional), 0),
               group_concat(c.kind || ': ' || c.description, '; ')
        FROM contributions c
        JOIN partners pa ON pa.slug = c.partner
        JOIN outcomes o ON o.slug = c.outcome
        WHERE NOT EXISTS (SELECT 1 FROM stakes s WHERE s.outcome = c.outcome
                          AND s.partner = c.partner)
        GROUP BY c.outcome, c.partner
        ) ORDER BY outcome_title, partner_name, outcome, partner
        """),
    ]
    return [*described(items, DESCRIPTIONS), *QUERIES]


#: what the public site says about each table and view (shown on its page and
#: in datasette-metadata.yml, which 'partnership metadata' writes from this)
DESCRIPTIONS: dict[str, dict[str, Any]] = {
    'partners': {
        'description': 'The organisations in the partnership.',
        'label_column': 'name',
        'columns': {
            'slug': 'Short identifier of the organisation, used in links.',
            'name': "The organisation's full name.",
            'kind': 'What sort of organisation it is (council, police, charity...).',
            'description': 'What the organisation does.',
            'website': "The organisation's website.",
        },
    },
    'people': {
        'description': ('Members of partner organisations, by name and role. Email addresses '
                         'and phone numbers are never published.'),
        'label_column': 'name',
        'columns': {
            'slug': 'Short identifier of the person.',
            'name': "The person's name.",
            'partner': 'The organisation they belong to.',
            'role': 'Their role in that organisation.',
        },
    },
    'outcomes': {
        'description': ('The shared outcomes: changes in the world, for the people the '
                         'partners are trying to help, that more than one partner has a stake '
                         'in.'),
        'label_column': 'title',
        'columns': {
            'slug': 'Short identifier of the outcome, used in links.',
            'title': 'The change the partnership wants to see.',
            'description': 'More about the outcome.',
            'beneficiaries': 'Who should be better off.',
            'status': ('Where the partnership is with this outcome (proposed, agreed, '
                         'achieved, dropped...).'),
        },
    },
    'stakes': {
        'description': ('Which partners have a stake in which outcome, and why, in their own '
                         'words.'),
        'columns': {
            'outcome': 'The shared outcome (its short identifier; see the outcomes table).',
            'partner': 'The partner with a stake in it.',
            'motivation': 'Why this partner collaborates on this outcome.',
        },
    },
    'contributions': {
        'description': ('What each partner brings to each outcome: people, money, skills, '
                         'data, systems, premises. Additional means new because of the '
                         'partnership; otherwise it would have happened anyway (business as '
                         'usual).'),
        'columns': {
            'id': 'Number of the contribution.',
            'outcome': 'The outcome it serves.',
            'partner': 'The partner that brings it.',
            'kind': 'People, money, skills, data, systems, premises or other.',
            'description': 'What exactly is brought.',
            'amount': 'How much (in the unit).',
            'unit': 'The unit of the amount (FTE, GBP, hours, sessions...).',
            'additional': '1 if new because of the partnership, 0 if business as usual.',
            'meets': 'The need of the outcome it meets (step 3), if any.',
            'confidence': ('How sure the partner is: firm, likely or hoped; only firm ones '
                             'meet needs.'),
        },
    },
    'who_does_what': {
        'description': ('Who does what: every partner against every outcome it is part of, '
                         'with what it brings.'),
        'columns': {
            'partner': ('The partner organisation (its short identifier; see the partners '
                          'table).'),
            'partner_name': "The partner organisation's name.",
            'outcome': 'The shared outcome (its short identifier; see the outcomes table).',
            'outcome_title': 'The outcome in words.',
            'outcome_status': ('Where the partnership is with the outcome (proposed, agreed,'
                                 ' achieved, dropped...).'),
            'motivation': 'Why the partner takes part.',
            'contributions': 'How many contributions the partner makes to the outcome.',
            'additional': 'How many of those are new because of the partnership.',
            'brings': 'What it brings.',
        },
    },
}


#: the canned queries this step adds to the public site (each a page of its own)
QUERIES: list[PublicQuery] = [
    PublicQuery(name='who-does-what', title='Who does what?',
                description='Every partner and what it brings to each outcome.',
                sql="""
                select partner_name as partner, outcome_title as outcome, contributions,
                       additional, brings, motivation
                from who_does_what
                order by outcome_title, partner_name
                """),
]
