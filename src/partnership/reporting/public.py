"""What open reporting itself publishes: the site row, the change log and the feed."""

from __future__ import annotations

from typing import Any

from partnership.publicdata import PublicData, PublicQuery, described

#: what the public site says about each table and view (shown on its page and
#: in datasette-metadata.yml, which 'partnership metadata' writes from this)
DESCRIPTIONS: dict[str, dict[str, Any]] = {
    'site': {
        'description': 'The partnership itself, as published.',
        'columns': {
            'id': 'Always 1: there is one partnership per site.',
            'title': "The partnership's name.",
            'description': 'Why the partnership exists.',
            'governance': ('How the partnership is governed (alliance, federation, '
                             'network...).'),
            'licence': 'The licence under which this data may be reused.',
            'licence_url': 'Where the licence text is.',
            'website': "The partnership's own website.",
            'published_at': 'When this copy of the data was published (UTC).',
            'as_of': 'The date the figures were computed for.',
        },
    },
    'outcome_public_status': {
        'description': ('One plain status per outcome, for the public: on track, at risk, off '
                        'track, not measured or needs a rethink, with the reason, and the two '
                        'measures behind it kept apart: the gap verdict (does it have what it '
                        'needs?) and the measurement status (what do its figures say?).'),
        'columns': {
            'outcome': 'The outcome (its short identifier; see the outcomes table).',
            'title': 'The outcome in words.',
            'stage': 'Where the partnership is with it: proposed, agreed, achieved, dropped or rebooting.',
            'status': ('The public status. on track: up-to-date figures heading for the target and '
                       'everything it needs; at risk: a figure at risk, figures out of date or an '
                       'essential need sought outside; off track: figures say it will miss the '
                       'target; not measured: no indicator, no figures or only out-of-date ones; '
                       'needs a rethink: an essential need nobody can meet, or off track long '
                       'enough to call for a pivot.'),
            'reason': 'Why it has that status, in a few words.',
            'gap_verdict': ("Step 3's gap verdict: on-course (has what it needs), at-risk (an "
                            'essential need is sought outside), reboot (an essential need nobody '
                            'can meet) or no-needs (none recorded).'),
            'measurement': ("Step 4's measurement status, the worst of its indicators: on-track, "
                            'at-risk, off-track, or empty when no indicator has figures.'),
            'pivot': '1 when an indicator has been off track long enough to call for a pivot.',
            'indicators': 'How many indicators measure it.',
            'measured': 'How many of them have figures with a status.',
            'on_track': 'How many of its indicators are on track.',
            'at_risk': 'How many of its indicators are at risk.',
            'off_track': 'How many of its indicators are off track.',
            'stale': 'How many of its indicators are out of date (no figure within their frequency).',
            'latest_date': 'The date of its latest figure.',
            'stale_since': 'The earliest date one of its figures went out of date, if any has.',
        },
    },
    'indicator_freshness': {
        'description': ('When each indicator last had a figure, when the next was due, and since '
                        'when it has been out of date (stale).'),
        'columns': {
            'outcome': 'The outcome it measures.',
            'indicator': 'The indicator (its short identifier; see the indicators table).',
            'title': 'What is measured, in words.',
            'frequency': 'How often a new figure is expected.',
            'latest_date': 'The date of its latest figure (empty before the first).',
            'due': 'When a new figure was due: the latest (or the baseline) plus the frequency.',
            'stale_since': ('The date it went out of date, when a new figure is overdue (outcomes '
                            'dropped or achieved are not chased).'),
        },
    },
    'check_findings': {
        'description': ('What the checks say: every problem and warning that partnership check '
                        'found when this copy was published, as public facts (people are not '
                        'named, nothing private is shown).'),
        'columns': {
            'id': 'Number of the finding, problems first.',
            'step': 'The step of the method it concerns (1 to 6).',
            'severity': 'problem (breaks a rule of the method) or warning (worth a look).',
            'rule': 'The rule that found it.',
            'subject': 'What it is about.',
            'message': 'What is wrong, in words.',
        },
    },
    'change_news': {
        'description': ('The latest changes to the records in plain English: changes of one kind '
                        'about one thing on one day are one line ("3 figures recorded for '
                        'repeat-victims"). Every change is in the changes table.'),
        'sort_desc': 'id',
        'columns': {
            'id': 'Number of the line, newest first.',
            'at': 'When the newest change of the line was made (UTC).',
            'day': 'The day of the changes.',
            'text': 'The changes in words.',
            'changes': 'How many changes the line stands for.',
            'action': 'What was done (add, update, remove...).',
            'entity': 'What kind of record changed.',
            'first_change': 'The first of its changes (see the changes table).',
            'last_change': 'The last of its changes.',
        },
    },
    'changes': {
        'description': ("The change log: every change to the partnership's records, newest "
                         'last. Who made each change is not published.'),
        'sort_desc': 'id',
        'columns': {
            'id': 'Number of the change.',
            'at': 'When it was made (UTC).',
            'action': 'What was done (add, update, remove...).',
            'entity': 'What kind of record changed.',
            'key': 'Which record changed.',
            'summary': 'The change in words.',
        },
    },
}


#: the canned queries this step adds to the public site (each a page of its own)
QUERIES: list[PublicQuery] = [
    PublicQuery(name='feed', title='Latest updates and changes',
                description=("The partnership's news as an Atom feed: add .atom to this page's"
                             ' address (or use the feed link) to follow it in a feed reader. '
                             'The latest written updates from partners and the latest changes '
                             'to the records, in words (see change_news).'),
                sql="""
                select * from (
                  select 'tag:partnership,' || u.id as atom_id,
                         coalesce(coalesce(pa.name, u.partner) || ' on “' || coalesce(o.title, u.outcome)
                                  || '”: ', '') || substr(u.summary, 1, 90) as atom_title,
                         case when length(u.at) = 10 then u.at || 'T00:00:00+00:00' else u.at end
                           as atom_updated,
                         u.summary as atom_content, u.kind as kind
                  from latest_updates u left join partners pa on pa.slug = u.partner
                       left join outcomes o on o.slug = u.outcome
                  where u.kind = 'update'
                  order by u.at desc limit 30)
                union all
                select * from (
                  select 'tag:partnership,change-' || last_change, text,
                         case when length(at) = 10 then at || 'T00:00:00+00:00' else at end,
                         text || case when changes > 1 then ' (' || changes || ' changes)' else '' end,
                         'change'
                  from change_news where entity != 'update'
                  order by id limit 30)
                order by atom_updated desc
                """),
]


#: the order of the home page's outcomes, worst first (its list and the
#: ``outcome_public_status`` table it links to)
OUTCOME_ORDER = ("CASE stage WHEN 'dropped' THEN 2 WHEN 'proposed' THEN 1 ELSE 0 END, "
                 "CASE status WHEN 'needs a rethink' THEN 0 WHEN 'off track' THEN 1 "
                 "WHEN 'at risk' THEN 2 WHEN 'not measured' THEN 3 WHEN 'on track' THEN 4 "
                 "ELSE 9 END, title, outcome")


def public_data() -> list[PublicData | PublicQuery]:
    # the change log without who made each change (login names are personal); entries
    # about records that are not public are counts only (see Store.log)
    from partnership.outcomes.status import freshness_sql, status_sql

    from .truth import FINDINGS_TEMP, NEWS_TEMP

    as_of = "SELECT as_of FROM site"
    items = [
        PublicData(name="changes", kind="table",
                   copy=("id", "at", "action", "entity", "key", "summary")),
        # one plain status per outcome and the freshness of every indicator, on the date
        # the figures are for (partnership.outcomes.status: the same SQL as the working file)
        PublicData(name="indicator_freshness", materialise=True, index=("outcome", "indicator"),
                   sql=freshness_sql(as_of)),
        # stored in the home page's order (worst first), so its table page, 50 rows a
        # page, goes on where the home page's list of outcomes stops
        PublicData(name="outcome_public_status", materialise=True, index=("outcome", "status"),
                   sql=f"SELECT * FROM ({status_sql(as_of)}) ORDER BY {OUTCOME_ORDER}"),
        # written while publishing, from the checks and the change log (reporting/truth.py)
        # (no index: the page counts and lists them all, from the top, in id order)
        PublicData(name="check_findings", kind="table",
                   sql=f"SELECT * FROM temp.{FINDINGS_TEMP} ORDER BY id"),
        PublicData(name="change_news", kind="table", index=("day",),
                   sql=f"SELECT * FROM temp.{NEWS_TEMP} ORDER BY id"),
    ]
    return [*described(items, DESCRIPTIONS), *QUERIES]
