"""What step 5 publishes: meetings held and avoided, agendas, decisions, actions,
written updates, person-hours, and the latest news."""

from __future__ import annotations

from partnership.publicdata import PublicData


def public_data() -> list[PublicData]:
    from .service import MODELS, PUBLIC_VIEWS

    return [
        *(PublicData.of_model(cls) for cls in MODELS if cls.__entity__.public),
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
