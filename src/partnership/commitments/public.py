"""What the trust ledger publishes: commitments, their status as of the publish date,
the ledger per partner, the kept rate by quarter, and who keeps their promises."""

from __future__ import annotations

from typing import Any

from partnership.publicdata import PublicData, PublicQuery, described
from partnership.records import entity_of

#: the columns each view of the ledger is indexed by once stored in the public file
MATERIALISED_INDEX: dict[str, tuple[str, ...]] = {
    "commitment_status": ("partner",), "ledger": ("partner",), "kept_rate_by_quarter": ("quarter",)}


def public_data() -> list[PublicData | PublicQuery]:
    from .service import MODELS, public_views

    items = [
        *(PublicData.of_model(cls) for cls in MODELS if entity_of(cls).public),
        # stored as tables in the public file (which never changes): a page of one of these
        # views would go through every commitment to count its rows; the ledger is stored
        # in the order of the 'who-keeps-their-promises' question, the order of its page
        *(PublicData(name=name, materialise=True, index=MATERIALISED_INDEX.get(name, ()),
                     sql=f"SELECT * FROM ({sql}) ORDER BY kept_rate DESC, partner_name, partner"
                     if name == "ledger" else sql)
          for name, sql in public_views().items()),
        # who keeps their promises: the ledger with partner names
        PublicData(name="who_keeps_promises", materialise=True, index=("partner",), sql="""
        SELECT l.partner AS partner, pa.name AS partner_name, l.made AS made,
               l.kept AS kept, l.kept_late AS kept_late, l.open AS open,
               l.overdue AS overdue, l.withdrawn AS withdrawn,
               l.kept_rate AS kept_rate
        FROM ledger l JOIN partners pa ON pa.slug = l.partner
        """),
    ]
    return [*described(items, DESCRIPTIONS), *QUERIES]


#: what the public site says about each table and view (shown on its page and
#: in datasette-metadata.yml, which 'partnership metadata' writes from this)
DESCRIPTIONS: dict[str, dict[str, Any]] = {
    'commitments': {
        'description': ('Promises partners have made: what, by when, for which outcome, and '
                         'whether they delivered.'),
        'columns': {
            'id': 'Number of the commitment.',
            'partner': 'The partner that made the promise.',
            'owner': 'The person who owns it (see the people table).',
            'what': 'What was promised.',
            'outcome': 'The outcome it serves.',
            'activity': 'The activity it serves.',
            'due': 'When it is due.',
            'additional': '1 if new because of the partnership, 0 if business as usual.',
            'created': 'When it was made.',
            'state': 'The recorded state: open, delivered or withdrawn.',
            'delivered_on': 'When it was delivered.',
            'evidence': 'A link or a sentence showing it was done.',
            'withdrawn_on': 'When it was withdrawn.',
            'reason': 'Why it was withdrawn.',
            'withdrawal_agreed': ("Why the partnership agreed to the withdrawal (empty if it did "
                                  'not): an agreed withdrawal is not counted against the partner.'),
        },
    },
    'commitment_status': {
        'description': ('Every commitment with its status as of the publish date: open, '
                         'overdue, kept, kept-late or withdrawn.'),
        'columns': {
            'id': 'Number of the commitment.',
            'ref': 'The commitment as it is written, like C-12.',
            'partner': 'The partner that made the promise.',
            'owner': 'The person who owns it (see the people table).',
            'what': 'What was promised.',
            'outcome': 'The outcome it serves.',
            'activity': 'The activity it serves.',
            'due': 'When it is due.',
            'additional': '1 if new because of the partnership, 0 if business as usual.',
            'created': 'When it was made.',
            'state': 'The recorded state: open, delivered or withdrawn.',
            'delivered_on': 'When it was delivered.',
            'evidence': 'A link or a sentence showing it was done.',
            'withdrawn_on': 'When it was withdrawn.',
            'reason': 'Why it was withdrawn.',
            'withdrawal_agreed': ("Why the partnership agreed to the withdrawal (empty if it did "
                                  'not): an agreed withdrawal is not counted against the partner.'),
            'status': 'open, overdue, kept, kept-late or withdrawn, as of the publish date.',
            'days_late': 'How many days late it was delivered, or is overdue (0 if not late).',
        },
    },
    'ledger': {
        'description': ('The promise-keeping ledger: per partner, commitments made, kept, '
                         'kept late, open, overdue and withdrawn, and the rates.'),
        'columns': {
            'partner': ('The partner organisation (its short identifier; see the partners '
                          'table).'),
            'partner_name': "The partner organisation's name.",
            'made': 'Commitments made.',
            'kept': 'Commitments delivered on or before their due date.',
            'kept_late': 'Commitments delivered, but after their due date.',
            'open': 'Commitments not yet due.',
            'overdue': 'Commitments past their due date and not delivered.',
            'withdrawn': ('Commitments withdrawn, with a reason (they count as not kept, unless '
                          'the partnership agreed to the withdrawal).'),
            'withdrawn_agreed': ('Of the withdrawn, those the partnership agreed to: not counted '
                                 'against the partner (left out of the rates).'),
            'additional': 'Commitments that are new because of the partnership.',
            'kept_rate': ('Share of the commitments that have fallen due that were kept, on '
                            'time or late (0 to 1); agreed withdrawals are left out.'),
            'on_time_rate': ('Share of the commitments that have fallen due that were kept '
                               'on time (0 to 1).'),
            'additional_share': ('Share of the commitments made that are new because of the '
                                   'partnership (0 to 1).'),
        },
    },
    'kept_rate_by_quarter': {
        'description': ('The promise-keeping figures of the whole partnership by quarter of '
                         'the due date, to see trust grow or fall over time.'),
        'columns': {
            'quarter': 'The quarter the commitments were due in (like 2026-Q1).',
            'made': 'Commitments made.',
            'kept': 'Commitments delivered on or before their due date.',
            'kept_late': 'Commitments delivered, but after their due date.',
            'open': 'Commitments not yet due.',
            'overdue': 'Commitments past their due date and not delivered.',
            'withdrawn': ('Commitments withdrawn, with a reason (they count as not kept, unless '
                          'the partnership agreed to the withdrawal).'),
            'withdrawn_agreed': ('Of the withdrawn, those the partnership agreed to: not counted '
                                 'against the partner (left out of the rates).'),
            'additional': 'Commitments that are new because of the partnership.',
            'kept_rate': ('Share of the commitments that have fallen due that were kept, on '
                            'time or late (0 to 1); agreed withdrawals are left out.'),
            'on_time_rate': ('Share of the commitments that have fallen due that were kept '
                               'on time (0 to 1).'),
            'additional_share': ('Share of the commitments made that are new because of the '
                                   'partnership (0 to 1).'),
        },
    },
    'who_keeps_promises': {
        'description': 'Who keeps their promises: the ledger of commitments per partner.',
        'columns': {
            'partner': ('The partner organisation (its short identifier; see the partners '
                          'table).'),
            'partner_name': "The partner organisation's name.",
            'made': 'Commitments made.',
            'kept': 'Commitments delivered on or before their due date.',
            'kept_late': 'Commitments delivered, but after their due date.',
            'open': 'Commitments not yet due.',
            'overdue': 'Commitments past their due date and not delivered.',
            'withdrawn': ('Commitments withdrawn, with a reason (they count as not kept, unless '
                          'the partnership agreed to the withdrawal).'),
            'kept_rate': ('Share of the commitments that have fallen due that were kept, on '
                            'time or late (0 to 1); agreed withdrawals are left out.'),
        },
    },
}


#: the canned queries this step adds to the public site (each a page of its own)
QUERIES: list[PublicQuery] = [
    PublicQuery(name='who-keeps-their-promises', title='Who keeps their promises?',
                description='Commitments made and kept, per partner.',
                sql="""
                select partner_name as partner, made, kept, kept_late, open, overdue, withdrawn,
                       kept_rate, on_time_rate, additional_share
                from ledger
                order by kept_rate desc, partner_name
                """),
]
