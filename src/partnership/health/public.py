"""What the partnership's health publishes: unmentoring uptake and outputs (never who
met whom), self-assessment divergence, and the governance questions and answers."""

from __future__ import annotations

from partnership.publicdata import PublicData


def public_data() -> list[PublicData]:
    from . import assess, governance, pairs

    return [
        *(PublicData.of_model(cls) for cls in pairs.MODELS + assess.MODELS + governance.MODELS
          if cls.__entity__.public),
        *(PublicData(name=name, sql=sql)
          for module in (pairs, assess, governance) for name, sql in module.PUBLIC_VIEWS.items()),
    ]
