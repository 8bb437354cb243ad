"""What the spreadsheets feature publishes: nothing. Workbooks are read into the record
(and returns into the inbox), whose features publish what is public."""

from __future__ import annotations

from partnership.publicdata import PublicData, PublicQuery


def public_data() -> list[PublicData | PublicQuery]:
    return []
