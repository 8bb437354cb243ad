"""What step 3 publishes: needs, capacity, gap states, the running totals and the
views of the analysis (the same SQL as the working file's), and where the gaps are."""

from __future__ import annotations

from partnership.publicdata import PublicData


def public_data() -> list[PublicData]:
    from .migrations import GAP_VIEWS_V1
    from .service import MODELS, TOTALS_TABLES

    return [
        *(PublicData.of_model(cls) for cls in MODELS if cls.__entity__.public),
        *(PublicData(name=name, kind="table", copy=columns) for name, columns in TOTALS_TABLES.items()),
        *(PublicData(name=name, sql=sql) for name, sql in GAP_VIEWS_V1.items()),
        # where are the gaps: one row per need, with the outcome's verdict
        PublicData(name="where_are_the_gaps", materialise=True, index=("outcome",), sql="""
        SELECT g.outcome AS outcome, o.title AS outcome_title, g.need AS need,
               g.description AS description, g.essential AS essential,
               g.state AS state, g.gap AS gap, g.unit AS unit, g.killer AS killer,
               g.candidate AS candidate, v.verdict AS verdict
        FROM gaps g JOIN outcomes o ON o.slug = g.outcome
        LEFT JOIN outcome_verdicts v ON v.outcome = g.outcome
        """),
    ]
