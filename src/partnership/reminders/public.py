"""What reminders publish: nothing.

Who was reminded of what, and who asked for no reminders, is about people, not about
the partnership's work: both tables (``reminders``, ``reminder_optouts``) are private
(their models are ``public=False``), ``publish`` never copies them, and the public
change log holds their changes as counts only ("3 reminders added"). What the
reminders are about (commitments, figures, meetings) is already public where it lives.
"""

from __future__ import annotations

from partnership.publicdata import PublicData, PublicQuery


def public_data() -> list[PublicData | PublicQuery]:
    return []
