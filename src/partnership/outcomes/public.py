"""What steps 1 and 2 publish: partners, people (without contact details), outcomes,
stakes, contributions, and who does what."""

from __future__ import annotations

from partnership.publicdata import PublicData


def public_data() -> list[PublicData]:
    from partnership import models

    return [
        PublicData.of_model(models.Partner, label_column="name"),
        PublicData.of_model(models.Person, label_column="name"),
        PublicData.of_model(models.Outcome, label_column="title"),
        PublicData.of_model(models.Stake),
        PublicData.of_model(models.Contribution),
        # who does what: partner x outcome, with stakes and contributions
        PublicData(name="who_does_what", materialise=True, index=("outcome", "partner"), sql="""
        SELECT pa.slug AS partner, pa.name AS partner_name, o.slug AS outcome,
               o.title AS outcome_title, o.status AS outcome_status,
               s.motivation AS motivation,
               count(c.id) AS contributions,
               coalesce(sum(c.additional), 0) AS additional,
               group_concat(c.kind || ': ' || c.description, '; ') AS brings
        FROM stakes s
        JOIN partners pa ON pa.slug = s.partner
        JOIN outcomes o ON o.slug = s.outcome
        LEFT JOIN contributions c ON c.outcome = s.outcome AND c.partner = s.partner
        GROUP BY s.outcome, s.partner
        UNION ALL
        SELECT pa.slug, pa.name, o.slug, o.title, o.status, NULL,
               count(c.id), coalesce(sum(c.additional), 0),
               group_concat(c.kind || ': ' || c.description, '; ')
        FROM contributions c
        JOIN partners pa ON pa.slug = c.partner
        JOIN outcomes o ON o.slug = c.outcome
        WHERE NOT EXISTS (SELECT 1 FROM stakes s WHERE s.outcome = c.outcome
                          AND s.partner = c.partner)
        GROUP BY c.outcome, c.partner
        """),
    ]
