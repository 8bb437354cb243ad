"""What the trust ledger publishes: commitments, their status as of the publish date,
the ledger per partner, the kept rate by quarter, and who keeps their promises."""

from __future__ import annotations

from partnership.publicdata import PublicData


def public_data() -> list[PublicData]:
    from .service import MODELS, public_views

    return [
        *(PublicData.of_model(cls) for cls in MODELS if cls.__entity__.public),
        *(PublicData(name=name, sql=sql) for name, sql in public_views().items()),
        # who keeps their promises: the ledger with partner names
        PublicData(name="who_keeps_promises", materialise=True, index=("partner",), sql="""
        SELECT l.partner AS partner, pa.name AS partner_name, l.made AS made,
               l.kept AS kept, l.kept_late AS kept_late, l.open AS open,
               l.overdue AS overdue, l.withdrawn AS withdrawn,
               l.kept_rate AS kept_rate
        FROM ledger l JOIN partners pa ON pa.slug = l.partner
        """),
    ]
