"""What the public site shows of partners' reporting: how fresh it is, never the submissions.

Per partner: the indicators it reports, how many figures are due (within a month) or
overdue (past the indicator's reporting frequency since its last figure, or since its
baseline when it has none), the last day a submission of its was accepted and how many
have been. Worked out at publish time over public tables only, as of the publish date.
"""

from __future__ import annotations

from typing import Any

from partnership.publicdata import PublicData, PublicQuery, described

#: days after an indicator's last figure (or baseline) when the next is due
_DAYS = "CASE i.frequency WHEN 'weekly' THEN 7 WHEN 'monthly' THEN 31 WHEN 'annual' THEN 366 ELSE 92 END"
#: a figure is "due" when its next date falls within this many days of the publish date
DUE_WITHIN_DAYS = 31


def freshness_sql() -> str:
    from .service import REPORTERS_SQL

    as_of = "(SELECT as_of FROM site WHERE id = 1)"
    return f"""
    WITH due AS MATERIALIZED (
        -- once per indicator, not once per partner reporting it (publish, issue 19)
        SELECT i.slug AS indicator,
               date(coalesce((SELECT max(o.date) FROM observations o WHERE o.indicator = i.slug),
                             i.baseline_date), '+' || ({_DAYS}) || ' days') AS next_due
        FROM indicators i
    ),
    reported AS (
        SELECT r.partner AS partner, d.indicator AS indicator, d.next_due AS next_due
        FROM ({REPORTERS_SQL}) r JOIN due d ON d.indicator = r.indicator
    )
    SELECT pa.slug AS partner, pa.name AS partner_name,
           count(rp.indicator) AS indicators_reported,
           coalesce(sum(rp.next_due >= {as_of}
                        AND rp.next_due <= date({as_of}, '+{DUE_WITHIN_DAYS} days')), 0) AS figures_due,
           coalesce(sum(rp.next_due < {as_of}), 0) AS figures_overdue,
           ir.last_accepted AS last_accepted_submission,
           coalesce(ir.accepted, 0) AS accepted_submissions
    FROM partners pa
    LEFT JOIN reported rp ON rp.partner = pa.slug
    LEFT JOIN inbox_reporting ir ON ir.partner = pa.slug
    GROUP BY pa.slug
    """


def public_data() -> list[PublicData | PublicQuery]:
    items = [
        PublicData(name="indicator_reporters", kind="table", copy=("indicator", "partner")),
        PublicData(name="inbox_reporting", kind="table", copy=("partner", "last_accepted", "accepted")),
        PublicData(name="reporting_freshness", materialise=True, index=("partner",), sql=freshness_sql()),
    ]
    return [*described(items, DESCRIPTIONS), *QUERIES]


DESCRIPTIONS: dict[str, dict[str, Any]] = {
    "indicator_reporters": {
        "description": ("Partners named to report an indicator. An indicator with none listed "
                        "here is reported by every partner with a stake in its outcome."),
        "columns": {"indicator": "The indicator.", "partner": "A partner that reports it."},
    },
    "inbox_reporting": {
        "description": "When each partner's own reporting through the inbox was last accepted.",
        "columns": {
            "partner": "The partner.",
            "last_accepted": "The day a submission of theirs was last accepted into the record.",
            "accepted": "How many of their submissions have been accepted.",
        },
    },
    "reporting_freshness": {
        "description": ("How fresh each partner's reporting is, as of the publish date: the "
                        "indicators it reports, figures due within a month and overdue, and "
                        "its last accepted submission."),
        "columns": {
            "partner": "The partner.",
            "partner_name": "Its name.",
            "indicators_reported": "How many indicators it reports.",
            "figures_due": "Figures due within the next month.",
            "figures_overdue": ("Figures overdue: no new figure within the indicator's reporting "
                                "frequency."),
            "last_accepted_submission": "The day a submission of theirs was last accepted.",
            "accepted_submissions": "How many of their submissions have been accepted.",
        },
    },
}

QUERIES: list[PublicQuery] = [
    PublicQuery(
        name="reporting-freshness", title="How fresh is each partner's reporting?",
        description=("Figures overdue and due per partner, and when each last reported through "
                     "the inbox, as of the publish date."),
        sql="""select partner_name, indicators_reported, figures_overdue, figures_due,
       last_accepted_submission, accepted_submissions
from reporting_freshness order by figures_overdue desc, partner_name""",
    ),
]
