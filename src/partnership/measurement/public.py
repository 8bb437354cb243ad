"""What step 4 publishes: activities, indicators, observations, the story behind the
curve, metric values, each indicator's and outcome's status, and is it working."""

from __future__ import annotations

from typing import Any

from partnership.publicdata import PublicData, PublicQuery, described
from partnership.records import entity_of


def public_data() -> list[PublicData | PublicQuery]:
    from .service import MODELS

    items = [
        *(PublicData.of_model(cls) for cls in MODELS if entity_of(cls).public),
        PublicData(name="metric_values", kind="table", copy=METRIC_VALUE_COLUMNS),
        # outcome_status is stored as a table in the public file (which never changes): a
        # page of the view would recompute every indicator's status to count its rows
        *(PublicData(name=name, sql=sql, materialise=name == "outcome_status",
                     index=("outcome",) if name == "outcome_status" else ())
          for name, sql in PUBLIC_VIEWS.items()),
        # is it working: outcome x indicator, latest figure and status; stored worst first
        # (the order of the 'is-it-working' question), which is the order of its table page
        PublicData(name="is_it_working", materialise=True, index=("outcome", "indicator"), sql="""
        SELECT * FROM (
        SELECT o.slug AS outcome, o.title AS outcome_title, o.status AS outcome_status,
               i.slug AS indicator, i.title AS indicator_title, i.unit AS unit,
               i.direction AS direction,
               i.baseline AS baseline, i.target AS target, i.target_date AS target_date,
               (SELECT ob.value FROM observations ob WHERE ob.indicator = i.slug
                ORDER BY ob.date DESC LIMIT 1) AS latest,
               (SELECT ob.date FROM observations ob WHERE ob.indicator = i.slug
                ORDER BY ob.date DESC LIMIT 1) AS latest_date,
               (SELECT mv.value FROM metric_values mv WHERE mv.indicator = i.slug
                AND mv.metric = 'status'
                ORDER BY mv.period DESC LIMIT 1) AS status
        FROM outcomes o JOIN indicators i ON i.outcome = o.slug
        ) ORDER BY CASE status WHEN 'off-track' THEN 0 WHEN 'at-risk' THEN 1
                   WHEN 'on-track' THEN 2 ELSE 3 END, outcome_title, indicator
        """),
        # every observation of every indicator, for the charts
        PublicData(name="indicator_series", sql="""
        SELECT ob.indicator AS indicator, ob.date AS date, ob.value AS value
        FROM observations ob
        """),
    ]
    return [*described(items, DESCRIPTIONS), *QUERIES]


# -- the tables and views -------------------------------------------------------------------

#: the published columns of the materialised metric values
METRIC_VALUE_COLUMNS = ("metric", "indicator", "period", "value", "computed_at", "stale",
                        "stale_since")

#: one row per indicator with its figures. The same view is in the working file, where
#: ``partnership status`` reads it (created by migration m021_indicator_status_view from
#: this text): a change here is a schema change, made by a new migration that recreates it
INDICATOR_STATUS = """
        SELECT i.outcome AS outcome, i.slug AS indicator, i.title AS title, i.unit AS unit,
               i.direction AS direction, i.baseline AS baseline, i.baseline_date AS baseline_date,
               i.target AS target, i.target_date AS target_date, i.frequency AS frequency,
               i.metric AS headline_metric,
               (SELECT value FROM metric_values m WHERE m.metric = i.metric
                  AND m.indicator = i.slug ORDER BY period DESC LIMIT 1) AS headline,
               (SELECT value FROM metric_values m WHERE m.metric = 'latest'
                  AND m.indicator = i.slug ORDER BY period DESC LIMIT 1) AS latest,
               (SELECT period FROM metric_values m WHERE m.metric = 'latest'
                  AND m.indicator = i.slug ORDER BY period DESC LIMIT 1) AS latest_date,
               (SELECT value FROM metric_values m WHERE m.metric = 'progress'
                  AND m.indicator = i.slug ORDER BY period DESC LIMIT 1) AS progress,
               (SELECT value FROM metric_values m WHERE m.metric = 'status'
                  AND m.indicator = i.slug ORDER BY period DESC LIMIT 1) AS status,
               (SELECT value FROM metric_values m WHERE m.metric = 'pivot'
                  AND m.indicator = i.slug ORDER BY period DESC LIMIT 1) AS pivot
        FROM indicators i"""

PUBLIC_VIEWS = {
    # indicator-status for the dashboard: one row per indicator with its figures
    "indicator_status": INDICATOR_STATUS,
    # each outcome's worst indicator status and whether any indicator calls for a pivot
    "outcome_status": """
        SELECT o.slug AS outcome, o.title AS title, count(s.indicator) AS indicators,
               sum(s.status = 'on-track') AS on_track, sum(s.status = 'at-risk') AS at_risk,
               sum(s.status = 'off-track') AS off_track,
               CASE WHEN sum(s.status = 'off-track') > 0 THEN 'off-track'
                    WHEN sum(s.status = 'at-risk') > 0 THEN 'at-risk'
                    WHEN sum(s.status = 'on-track') > 0 THEN 'on-track' END AS status,
               coalesce(max(s.pivot), 0) AS pivot
        FROM outcomes o LEFT JOIN indicator_status s ON s.outcome = o.slug
        GROUP BY o.slug""",
}


#: what the public site says about each table and view (shown on its page and
#: in datasette-metadata.yml, which 'partnership metadata' writes from this)
DESCRIPTIONS: dict[str, dict[str, Any]] = {
    'activities': {
        'description': ('What partners do for the outcomes: projects and services, with their'
                         ' dates and status.'),
        'label_column': 'title',
        'columns': {
            'slug': 'Short identifier of the activity.',
            'title': 'The activity in words.',
            'partner': 'The partner that runs it.',
            'status': 'planned, running, paused, stopped or finished.',
            'start_date': 'When it started.',
            'end_date': 'When it ended or will end.',
            'description': 'More about the activity.',
        },
    },
    'activity_outcomes': {
        'description': 'Which outcomes each activity serves.',
        'columns': {
            'activity': 'The activity.',
            'outcome': 'The shared outcome (its short identifier; see the outcomes table).',
        },
    },
    'indicators': {
        'description': ('How progress toward each outcome is measured: a figure with a '
                         'baseline, a target and a date to reach it.'),
        'label_column': 'title',
        'columns': {
            'slug': 'Short identifier of the indicator.',
            'outcome': 'The outcome it measures.',
            'title': 'What is measured, in words.',
            'unit': 'What the figure is counted in.',
            'direction': 'Whether down (fewer) or up (more) is better.',
            'baseline': 'The figure when measuring started.',
            'baseline_date': 'When the baseline was measured.',
            'target': 'The figure the partnership aims for.',
            'target_date': 'When the target should be reached.',
            'frequency': ('How often new figures are expected (weekly, monthly, quarterly or'
                            ' annual).'),
            'source': 'Where the figures come from.',
            'metric': ('The metric that gives its headline figure (progress by default; '
                         'plugins can add others).'),
            'activity': "The activity it measures, for measures of an activity's work.",
            'rba': ('For activity measures, the Results-Based Accountability question it '
                      'answers: how-much, how-well or better-off.'),
            'pivot_after': 'How many off-track figures in a row call for a pivot.',
            'description': 'More about the indicator.',
        },
    },
    'observations': {
        'description': 'Every figure recorded for every indicator, by date.',
        'sort_desc': 'date',
        'columns': {
            'indicator': 'The indicator (its short identifier; see the indicators table).',
            'date': 'The date the figure is for.',
            'value': 'The figure.',
            'source': 'Where it came from.',
            'note': 'A note on the figure.',
        },
    },
    'story_notes': {
        'description': ('The story behind the curve: dated notes on an indicator saying why '
                         'it moves, what works and what to try next.'),
        'columns': {
            'id': 'Number of the note.',
            'indicator': 'The indicator (its short identifier; see the indicators table).',
            'date': 'The date the note is about.',
            'kind': ('why (why the figure moves), works (what works) or next (what to try '
                       'next).'),
            'text': 'The note.',
            'author': 'Who wrote it (see the people table).',
        },
    },
    'metric_values': {
        'description': ('Every figure computed from the observations by a metric, built in '
                         '(latest, progress, status, pivot) or added by a plugin. New metrics '
                         'appear here, and on the dashboard, without any change to it.'),
        'columns': {
            'metric': 'The name of the metric.',
            'indicator': ('The indicator it was computed for (empty for a partnership-wide '
                            'metric).'),
            'period': 'The date the figure is for.',
            'value': 'The figure, a number or a word.',
            'computed_at': 'When it was computed.',
            'stale': ('1 when the metric failed at the latest refresh (or its plugin changed) '
                      'and this is its last good figure, computed at computed_at; 0 when current.'),
            'stale_since': 'When the figure first could not be recomputed (empty when current).',
        },
    },
    'indicator_status': {
        'description': ('Is it working, per indicator: its baseline, target, latest figure, '
                         'progress and status.'),
        'columns': {
            'outcome': 'The shared outcome (its short identifier; see the outcomes table).',
            'indicator': 'The indicator (its short identifier; see the indicators table).',
            'title': 'What is measured, in words.',
            'unit': 'What the figure is counted in.',
            'direction': 'Whether down or up is better.',
            'baseline': 'The figure when measuring started.',
            'baseline_date': 'When the baseline was measured.',
            'target': 'The figure aimed for.',
            'target_date': 'When the target should be reached.',
            'frequency': 'How often new figures are expected.',
            'headline_metric': 'The metric that gives the headline figure.',
            'headline': 'The headline figure.',
            'latest': 'The latest figure.',
            'latest_date': 'The date of the latest figure.',
            'progress': ('How far from the baseline to the target the latest figure is, in '
                           'per cent.'),
            'status': 'on-track, at-risk or off-track.',
            'pivot': ('1 when the indicator has been off track long enough to rethink the '
                        'approach.'),
        },
    },
    'outcome_status': {
        'description': ('Is it working, per outcome: how many of its indicators are on track,'
                         ' at risk or off track, and its overall status (the worst of them).'),
        'columns': {
            'outcome': 'The shared outcome (its short identifier; see the outcomes table).',
            'title': 'The outcome in words.',
            'indicators': 'How many indicators measure it.',
            'on_track': 'Indicators on track.',
            'at_risk': 'Indicators at risk.',
            'off_track': 'Indicators off track.',
            'status': ('The worst status of its indicators (empty when nothing is measured '
                         'yet).'),
            'pivot': '1 when an indicator calls for a pivot.',
        },
    },
    'is_it_working': {
        'description': ('Is it working: every outcome with its indicators, latest figure and '
                         'status.'),
        'columns': {
            'outcome': 'The shared outcome (its short identifier; see the outcomes table).',
            'outcome_title': 'The outcome in words.',
            'outcome_status': ('Where the partnership is with the outcome (proposed, agreed,'
                                 ' achieved, dropped...).'),
            'indicator': 'How progress is measured.',
            'indicator_title': 'What is measured, in words.',
            'unit': 'The unit of the indicator.',
            'direction': 'Whether up or down is better.',
            'baseline': 'The figure when measuring started.',
            'target': 'The figure the partnership aims for.',
            'target_date': 'When the target should be met.',
            'latest': 'The latest figure.',
            'latest_date': 'When the latest figure was observed.',
            'status': 'on-track, at-risk or off-track.',
        },
    },
    'indicator_series': {
        'description': 'Every observation of every indicator, for the charts.',
        'columns': {
            'indicator': 'The indicator (its short identifier; see the indicators table).',
            'date': 'When it was observed.',
            'value': 'The figure observed.',
        },
    },
}


#: the canned queries this step adds to the public site (each a page of its own)
QUERIES: list[PublicQuery] = [
    PublicQuery(name='is-it-working', title='Is it working?',
                description=('Every outcome with its indicators, latest figure, target and '
                             'status.'),
                sql="""
                select outcome_title as outcome, outcome_status, indicator, indicator_title,
                       baseline, latest, latest_date, target, target_date, status
                from is_it_working
                order by case status when 'off-track' then 0 when 'at-risk' then 1
                         when 'on-track' then 2 else 3 end, outcome_title
                """),
    PublicQuery(name='outcomes-and-how-they-are-going', title='Outcomes and how they are going',
                description=('Every outcome with its status, how many of its indicators are on'
                             " track, at risk or off track, and step 3's verdict on whether it"
                             ' has what it needs.'),
                sql="""
                select o.title as outcome, o.status, s.status as progress, s.indicators,
                       s.on_track, s.at_risk, s.off_track, s.pivot, v.verdict
                from outcomes o
                left join outcome_status s on s.outcome = o.slug
                left join outcome_verdicts v on v.outcome = o.slug
                order by case s.status when 'off-track' then 0 when 'at-risk' then 1
                         when 'on-track' then 2 else 3 end, o.title
                """),
    PublicQuery(name='the-story-behind-the-curve', title='The story behind the curve',
                description=('What the partners say about why each indicator moves, what works'
                             ' and what to try next.'),
                sql="""
                select i.title as indicator, i.outcome, n.date, n.kind, n.text
                from story_notes n join indicators i on i.slug = n.indicator
                order by n.indicator, n.date
                """),
]
