"""What step 4 publishes: activities, indicators, observations, the story behind the
curve, metric values, each indicator's and outcome's status, and is it working."""

from __future__ import annotations

from partnership.publicdata import PublicData


def public_data() -> list[PublicData]:
    from .service import METRIC_VALUE_COLUMNS, MODELS, PUBLIC_VIEWS

    return [
        *(PublicData.of_model(cls) for cls in MODELS if cls.__entity__.public),
        PublicData(name="metric_values", kind="table", copy=METRIC_VALUE_COLUMNS),
        *(PublicData(name=name, sql=sql) for name, sql in PUBLIC_VIEWS.items()),
        # is it working: outcome x indicator, latest figure and status
        PublicData(name="is_it_working", materialise=True, index=("outcome", "indicator"), sql="""
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
        """),
        # every observation of every indicator, for the charts
        PublicData(name="indicator_series", sql="""
        SELECT ob.indicator AS indicator, ob.date AS date, ob.value AS value
        FROM observations ob
        """),
    ]
