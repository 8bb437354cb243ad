"""What step 5 publishes: meetings held and avoided, agendas, decisions, actions,
written updates, person-hours, and the latest news."""

from __future__ import annotations

from typing import Any

from partnership.publicdata import PublicData, PublicQuery, described
from partnership.records import entity_of


def public_data() -> list[PublicData | PublicQuery]:
    from .models import MODELS

    items = [
        *(PublicData.of_model(cls) for cls in MODELS if entity_of(cls).public),
        *(PublicData(name=name, sql=sql) for name, sql in PUBLIC_VIEWS.items()),
        # the latest news: written updates and the change log
        PublicData(name="latest_updates", materialise=True, index=("at",), sql="""
        SELECT 'update-' || u.id AS id, u.date AS at, u.partner AS partner,
               u.outcome AS outcome, u.text AS summary, 'update' AS kind
        FROM updates u
        UNION ALL
        SELECT 'change-' || ch.id, ch.at, NULL, NULL, ch.summary, 'change'
        FROM changes ch
        """),
    ]
    return [*described(items, DESCRIPTIONS), *QUERIES]


# -- the views: person-hours spent in meetings and saved by not meeting ----------------------

_SPENT = """CASE m.status
    WHEN 'held' THEN round(coalesce(nullif((SELECT count(*) FROM attendance a WHERE a.meeting = m.slug), 0),
        (SELECT count(*) FROM invitees i WHERE i.meeting = m.slug AND i.dropped = 0)) * m.minutes / 60.0, 2)
    ELSE 0 END"""
_SAVED = """CASE m.status
    WHEN 'cancelled' THEN round((SELECT count(*) FROM invitees i WHERE i.meeting = m.slug) * m.minutes / 60.0, 2)
    ELSE round((SELECT count(*) FROM invitees i WHERE i.meeting = m.slug AND i.dropped = 1)
               * m.minutes / 60.0, 2) END"""  # noqa: E501 (SQL of public views, kept as published)

PUBLIC_VIEWS = {
    # one row per meeting: held or avoided, person-hours spent and saved, decisions taken
    "meeting_hours": f"""
        SELECT m.slug AS meeting, m.title AS title, m.date AS date, m.minutes AS minutes,
               m.status AS status,
               (SELECT count(*) FROM invitees i WHERE i.meeting = m.slug AND i.dropped = 0) AS invitees,
               (SELECT count(*) FROM attendance a WHERE a.meeting = m.slug) AS attended,
               (SELECT count(*) FROM agenda_items ai WHERE ai.meeting = m.slug AND ai.dropped = 0) AS items,
               (SELECT count(*) FROM decisions d WHERE d.meeting = m.slug) AS decisions,
               (SELECT count(*) FROM actions ac WHERE ac.meeting = m.slug) AS actions,
               {_SPENT} AS person_hours_spent,
               {_SAVED} AS person_hours_saved
        FROM meetings m""",
    # the partnership's meeting discipline in one row
    "meeting_totals": f"""
        SELECT (SELECT count(*) FROM meetings WHERE status = 'held') AS meetings_held,
               (SELECT count(*) FROM meetings WHERE status = 'cancelled') AS meetings_avoided,
               (SELECT count(*) FROM decisions) AS decisions_made,
               (SELECT coalesce(round(sum({_SPENT}), 2), 0) FROM meetings m) AS person_hours_spent,
               (SELECT coalesce(round(sum({_SAVED}), 2), 0) FROM meetings m) AS person_hours_saved,
               (SELECT count(*) FROM updates) AS updates_posted""",
}


#: what the public site says about each table and view (shown on its page and
#: in datasette-metadata.yml, which 'partnership metadata' writes from this)
DESCRIPTIONS: dict[str, dict[str, Any]] = {
    'meetings': {
        'description': ('Meetings of the partnership: held, proposed, or cancelled (a meeting'
                         ' avoided, usually because a written update did the job).'),
        'label_column': 'title',
        'columns': {
            'slug': 'Short identifier of the meeting.',
            'date': 'When it is or was.',
            'minutes': 'How long, in minutes.',
            'title': 'The meeting in words.',
            'chair': 'Who chairs it (see the people table).',
            'status': 'proposed, held or cancelled.',
            'note': 'Why it was cancelled, or a note on how it went.',
        },
    },
    'invitees': {
        'description': ('Who is invited to each meeting; dropped invitees were trimmed off '
                         'the list because no item needed them.'),
        'columns': {
            'meeting': 'The meeting (its short identifier; see the meetings table).',
            'person': 'The person (their short identifier; see the people table).',
            'dropped': '1 if trimmed off the invitation list.',
        },
    },
    'attendance': {
        'description': 'Who attended each held meeting.',
        'columns': {
            'meeting': 'The meeting (its short identifier; see the meetings table).',
            'person': 'The person (their short identifier; see the people table).',
        },
    },
    'agenda_items': {
        'description': ("Items pitched for each meeting's agenda; an item serving no outcome "
                         'is agenda stuffing.'),
        'columns': {
            'id': 'Number of the item.',
            'meeting': 'The meeting (its short identifier; see the meetings table).',
            'title': 'The item in words.',
            'kind': ('decision, discussion or information (information is better as a '
                       'written update).'),
            'outcome': 'The outcome it serves.',
            'pitched_by': 'Who pitched it (see the people table).',
            'dropped': '1 if taken off the agenda (trimmed, or moved to a written update).',
        },
    },
    'agenda_needs': {
        'description': 'Who each agenda item cannot be dealt with without.',
        'columns': {
            'item': "The agenda item's number.",
            'person': 'The person (their short identifier; see the people table).',
        },
    },
    'decisions': {
        'description': 'Decisions taken at held meetings.',
        'columns': {
            'id': 'Number of the decision.',
            'meeting': 'The meeting (its short identifier; see the meetings table).',
            'text': 'The decision.',
        },
    },
    'actions': {
        'description': 'Actions agreed at held meetings: who does what, by when.',
        'columns': {
            'id': 'Number of the action.',
            'meeting': 'The meeting (its short identifier; see the meetings table).',
            'owner': 'Who owns it (see the people table).',
            'what': 'What is to be done.',
            'due': 'By when.',
            'commitment': 'The number of the commitment it became, if any (see commitments).',
        },
    },
    'updates': {
        'description': ('Short written progress updates from partners, each about an outcome:'
                         ' the news that replaces many meetings.'),
        'sort_desc': 'date',
        'columns': {
            'id': 'Number of the update.',
            'date': 'When it was posted.',
            'partner': 'The partner it comes from.',
            'outcome': 'The outcome it is about.',
            'text': 'The update.',
            'author': 'Who wrote it (see the people table).',
        },
    },
    'meeting_hours': {
        'description': ('Every meeting: held or avoided, with the person-hours spent and '
                         'saved and the decisions taken.'),
        'columns': {
            'meeting': 'The meeting (its short identifier; see the meetings table).',
            'title': 'The meeting in words.',
            'date': 'When it is or was.',
            'minutes': 'How long, in minutes.',
            'status': 'proposed, held or cancelled (avoided).',
            'invitees': 'People invited (not counting those trimmed off).',
            'attended': 'People who attended.',
            'items': 'Agenda items kept.',
            'decisions': 'Decisions taken.',
            'actions': 'Actions agreed.',
            'person_hours_spent': 'Person-hours spent in it (people x length).',
            'person_hours_saved': ('Person-hours saved: the whole meeting if cancelled, else'
                                     ' the invitees trimmed off.'),
        },
    },
    'meeting_totals': {
        'description': ("The partnership's meeting discipline in one row: meetings held and "
                         'avoided, decisions, person-hours spent and saved, written updates '
                         'posted.'),
        'columns': {
            'meetings_held': 'Meetings held.',
            'meetings_avoided': 'Meetings cancelled (avoided).',
            'decisions_made': 'Decisions taken.',
            'person_hours_spent': 'Person-hours spent in meetings.',
            'person_hours_saved': 'Person-hours saved by meetings avoided or trimmed.',
            'updates_posted': 'Written updates posted instead.',
        },
    },
    'latest_updates': {
        'description': ('The latest news: written updates from partners, and every change to '
                         'the records.'),
        'sort_desc': 'at',
        'columns': {
            'id': 'Identifier of the item.',
            'at': 'When.',
            'partner': 'Who posted it (updates only).',
            'outcome': 'Which outcome it is about (updates only).',
            'summary': 'What happened.',
            'kind': 'update (written) or change (to the records).',
        },
    },
}


#: the canned queries this step adds to the public site (each a page of its own)
QUERIES: list[PublicQuery] = [
    PublicQuery(name='meetings-held-and-avoided', title='Meetings held and avoided',
                description=('Every meeting held or cancelled, with the person-hours it took '
                             'or saved. A cancelled meeting is a meeting avoided, usually '
                             'because written updates did the job.'),
                sql="""
                select date, title, status, minutes, invitees, attended, decisions, actions,
                       person_hours_spent, person_hours_saved
                from meeting_hours
                where status in ('held', 'cancelled')
                order by date desc
                """),
    PublicQuery(name='hours-saved', title='Person-hours saved',
                description="The partnership's meeting discipline in one row.",
                sql="""
                select meetings_held, meetings_avoided, decisions_made, person_hours_spent,
                       person_hours_saved, updates_posted
                from meeting_totals
                """),
]
