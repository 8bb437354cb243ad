"""Personal links for the partner inbox: signed tokens naming a person and their partner.

A token is ``itsdangerous``'s URL-safe signed JSON (the signing library Datasette itself
uses) of the person, their partner, the last day it works and the person's link
version. The secret is private: it is made when the working database is created
(``inbox_secret``), never published or exported, and copied into the inbox database's
private config so the inbox site can check a token without the working file. Revoking
a person's links bumps their version: every token carrying an older one is refused.

Tokens are never logged or published; only the person they name is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs

#: keeps inbox tokens apart from anything else signed with the same secret
SALT = "partnership-inbox-link"


class BadToken(Exception):
    """A token that is forged, damaged, expired or revoked (``reason`` says which)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@attrs.define(frozen=True)
class Grant:
    """What a valid token lets its holder do: act for ``partner`` as ``person``."""

    person: str
    partner: str
    expires: dt.date
    version: int


def sign(secret: str, grant: Grant) -> str:
    from itsdangerous import URLSafeSerializer

    return str(URLSafeSerializer(secret, salt=SALT).dumps(
        {"p": grant.person, "a": grant.partner, "e": grant.expires.isoformat(), "v": grant.version}))


def read(secret: str, token: str) -> Grant:
    """The grant a token carries, if its signature is good (expiry and version unchecked)."""
    from itsdangerous import BadData, URLSafeSerializer

    if not isinstance(token, str) or not token or len(token) > 2000:
        raise BadToken("forged")
    try:
        data: Any = URLSafeSerializer(secret, salt=SALT).loads(token)
    except BadData:
        raise BadToken("forged") from None
    try:
        return Grant(person=str(data["p"]), partner=str(data["a"]),
                     expires=dt.date.fromisoformat(data["e"]), version=int(data["v"]))
    except (KeyError, TypeError, ValueError):
        raise BadToken("forged") from None


def verify(secret: str, token: str, *, today: dt.date,
           version_of: Callable[[str], int | None]) -> Grant:
    """The grant of a token that is genuine, not expired and not revoked, else :class:`BadToken`.

    ``version_of(person)`` gives the person's current link version (``None`` when the
    person is unknown: refused as revoked)."""
    grant = read(secret, token)
    if grant.expires < today:
        raise BadToken("expired")
    current = version_of(grant.person)
    if current is None or current != grant.version:
        raise BadToken("revoked")
    return grant
