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
                             'to the records.'),
                sql="""
                select * from (
                  select 'tag:partnership,' || id as atom_id,
                         coalesce(partner || ' on ' || outcome || ': ', '') || substr(summary, 1, 90)
                           as atom_title,
                         case when length(at) = 10 then at || 'T00:00:00+00:00' else at end
                           as atom_updated,
                         summary as atom_content, kind
                  from latest_updates where kind = 'update'
                  order by at desc limit 30)
                union all
                select * from (
                  select 'tag:partnership,' || id, 'Change: ' || summary,
                         case when length(at) = 10 then at || 'T00:00:00+00:00' else at end,
                         summary, kind
                  from latest_updates where kind = 'change'
                  order by at desc, id desc limit 30)
                order by atom_updated desc
                """),
]


def public_data() -> list[PublicData | PublicQuery]:
    # the change log without who made each change (login names are personal); entries
    # about records that are not public are counts only (see Store.log)
    items = [PublicData(name="changes", kind="table",
                        copy=("id", "at", "action", "entity", "key", "summary"))]
    return [*described(items, DESCRIPTIONS), *QUERIES]
