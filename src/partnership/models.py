"""The data model of a partnership, as attrs classes.

Models know nothing of SQLite or of the command line. Each one that is stored as a
table carries an :class:`Entity` description (table, key, the word people use for it);
fields carry metadata saying which are *private* (never published, never written to
the change log) and which *refer* to another entity (checked before any write).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
from attrs import define, field

from . import validators as v

__all__ = [
    "Entity",
    "Governance",
    "PartnerKind",
    "OutcomeStatus",
    "ContributionKind",
    "Confidence",
    "Partnership",
    "Partner",
    "Person",
    "Outcome",
    "Stake",
    "Contribution",
    "Change",
    "private",
    "ref",
    "is_private",
]

_M = TypeVar("_M")


@define(frozen=True)
class Entity:
    """How a model is stored and named: its table, key fields and human label."""

    table: str
    key: tuple[str, ...]
    label: str
    order_by: str = ""
    #: the name of the section in an import/export file
    section: str = ""
    #: fields that identify a row when an import file gives no key (auto-numbered rows)
    match: tuple[str, ...] = ()
    #: published (without its private fields) to the public database
    public: bool = True


def entity(table: str, key: tuple[str, ...], label: str, order_by: str = "", section: str = "",
           match: tuple[str, ...] = (), public: bool = True) -> Callable[[type[_M]], type[_M]]:
    """Class decorator recording how a model is stored; see :class:`Entity`.

    It only describes the class: a model is stored once a feature or plugin registers
    it (the ``register_models`` hook)."""

    def wrap(cls: type[_M]) -> type[_M]:
        cls.__entity__ = Entity(  # type: ignore[attr-defined]
            table, key, label, order_by or ", ".join(key), section or table, match, public)
        return cls

    return wrap


def private(**kwargs: Any) -> Any:
    """An attrs field that is personal or confidential: never published or logged."""
    metadata = kwargs.pop("metadata", {})
    return field(metadata={**metadata, "private": True}, **kwargs)


def ref(table: str, **kwargs: Any) -> Any:
    """An attrs field holding the key of a row in ``table`` (checked on every write)."""
    metadata = kwargs.pop("metadata", {})
    validator = kwargs.pop("validator", v.slug)
    return field(metadata={**metadata, "ref": table}, validator=validator, **kwargs)


def is_private(cls: type, name: str) -> bool:
    return bool(attrs.fields_dict(cls)[name].metadata.get("private"))


class Choice(enum.StrEnum):
    """A closed set of values, written as their lowercase hyphenated value."""

    def __str__(self) -> str:
        return self.value

    @classmethod
    def values(cls) -> list[str]:
        return [m.value for m in cls]


class Governance(Choice):
    """How a partnership is governed; the models of the method's sources."""

    FEDERATION = "federation"
    FRANCHISE = "franchise"
    ALLIANCE = "alliance"
    PROFESSIONAL_PARTNERSHIP = "professional-partnership"
    SELF_ORGANISING_NETWORK = "self-organising-network"
    CONSUMER_GOVERNED = "consumer-governed"
    OTHER = "other"


class PartnerKind(Choice):
    COUNCIL = "council"
    SCHOOL = "school"
    POLICE = "police"
    HEALTH = "health"
    FIRE = "fire"
    HOUSING = "housing"
    CHARITY = "charity"
    VOLUNTARY = "voluntary"
    COMMUNITY = "community"
    FAITH = "faith"
    BUSINESS = "business"
    UNIVERSITY = "university"
    GOVERNMENT = "government"
    OTHER = "other"


class OutcomeStatus(Choice):
    PROPOSED = "proposed"
    AGREED = "agreed"
    ACHIEVED = "achieved"
    DROPPED = "dropped"
    REBOOTING = "rebooting"


class ContributionKind(Choice):
    PEOPLE = "people"
    MONEY = "money"
    SKILLS = "skills"
    DATA = "data"
    SYSTEMS = "systems"
    PREMISES = "premises"
    OTHER = "other"


class Confidence(Choice):
    """How sure a partner is that a contribution will happen (step 3: honest capacity)."""

    FIRM = "firm"
    LIKELY = "likely"
    HOPED = "hoped"


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def _currency(_instance: Any, _attribute: attrs.Attribute[Any], value: Any) -> None:
    currency_code(value)


def currency_code(value: Any, name: str = "currency") -> str:
    """``value`` as a three-letter ISO 4217 code (`` eur`` is ``EUR``), or FieldProblem."""
    code = value.strip().upper() if isinstance(value, str) else value
    if not isinstance(code, str) or len(code) != 3 or not code.isascii() or not code.isalpha():
        raise v.FieldProblem(f"{name} must be a three-letter code such as GBP, EUR or USD "
                             f"(got {v.shown(value)})")
    return code


@define(kw_only=True)
class Partnership:
    """The partnership itself: one per database."""

    name: str = field(converter=v.strip, validator=v.text)
    purpose: str = field(default="", converter=v.strip, validator=v.optional_text)
    governance: Governance = Governance.OTHER
    #: licence of the published data, an SPDX-like id or a name
    licence: str = field(default="OGL-UK-3.0", converter=v.strip, validator=v.text)
    #: a web address (http or https) where the licence can be read; "" for none
    licence_url: str = field(
        default="https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        converter=v.strip,
        validator=v.url,
    )
    #: the partnership's own web address (http or https); "" for none
    website: str = field(default="", converter=v.strip, validator=v.url)
    #: the currency its money is counted in (meeting costs): an ISO 4217 code such as GBP
    currency: str = field(default="GBP", converter=_upper, validator=_currency)


@entity("partners", ("slug",), "partner")
@define(kw_only=True)
class Partner:
    """An organisation in the partnership."""

    slug: str = field(validator=v.slug)
    name: str = field(converter=v.strip, validator=v.text)
    kind: PartnerKind = PartnerKind.OTHER
    description: str = field(default="", converter=v.strip, validator=v.optional_text)
    #: a web address (http or https); "" for none
    website: str = field(default="", converter=v.strip, validator=v.url)


@entity("people", ("slug",), "person")
@define(kw_only=True)
class Person:
    """A member of a partner organisation. Email and phone are private."""

    slug: str = field(validator=v.slug)
    name: str = field(converter=v.strip, validator=v.text)
    partner: str = ref("partners")
    role: str = field(default="", converter=v.strip, validator=v.optional_text)
    email: str | None = private(default=None, converter=v.strip, validator=v.email)
    phone: str | None = private(default=None, converter=v.strip, validator=v.phone)


@entity("outcomes", ("slug",), "outcome")
@define(kw_only=True)
class Outcome:
    """A change in the world for the people the partners are trying to help."""

    slug: str = field(validator=v.slug)
    title: str = field(converter=v.strip, validator=v.text)
    description: str = field(default="", converter=v.strip, validator=v.optional_text)
    #: who the partners are trying to help
    beneficiaries: str = field(default="", converter=v.strip, validator=v.optional_text)
    status: OutcomeStatus = OutcomeStatus.PROPOSED


@entity("stakes", ("outcome", "partner"), "stake")
@define(kw_only=True)
class Stake:
    """A partner's stake in an outcome, with its openly stated motivation."""

    outcome: str = ref("outcomes")
    partner: str = ref("partners")
    motivation: str = field(default="", converter=v.strip, validator=v.optional_text)


def _unit_goes_with_amount(instance: Contribution, _a: attrs.Attribute[Any], unit: str | None) -> None:
    if unit is not None and not isinstance(unit, str):
        raise v.FieldProblem(f"unit must be text (got {v.shown(unit)})")
    if instance.amount is not None and not unit:
        raise v.FieldProblem(
            f"amount {instance.amount:g} needs a unit, like FTE, GBP, hours or sessions"
        )
    if unit and instance.amount is None:
        raise v.FieldProblem(f"unit {v.shown(unit)} needs an amount, like --amount 2")


def _blank_to_none(value: Any) -> Any:
    """Converter: trimmed text, with blank text meaning "none" (``--meets ''`` clears it)."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


@entity("contributions", ("id",), "contribution",
        match=("outcome", "partner", "kind", "description"))
@define(kw_only=True)
class Contribution:
    """What a partner brings to an outcome: people, money, skills, data, systems, premises."""

    id: int | None = None
    outcome: str = ref("outcomes")
    partner: str = ref("partners")
    kind: ContributionKind = ContributionKind.OTHER
    description: str = field(converter=v.strip, validator=v.text)
    amount: float | None = field(default=None, converter=v.no_negative_zero,
                                 validator=v.non_negative)
    unit: str | None = field(default=None, converter=v.strip, validator=_unit_goes_with_amount)
    #: new because of the partnership (True) or business as usual (False)
    additional: bool = False
    #: the slug of the need of the same outcome this contribution meets (step 3), if any;
    #: checked by a rule in :mod:`partnership.gaps`
    meets: str | None = field(default=None, converter=_blank_to_none, validator=v.optional_slug)
    #: only firm contributions count toward meeting a need (unless likely ones are asked for)
    confidence: Confidence = Confidence.FIRM


@define(kw_only=True, frozen=True)
class Change:
    """One entry of the change log: what changed, who changed it, when."""

    id: int
    at: str
    actor: str
    action: str
    entity: str
    key: str
    summary: str
    data: dict[str, Any] = field(factory=dict)
    #: the id of the first entry of the command that made this change (undo takes a
    #: command back whole); None in logs written before it was recorded
    command: int | None = None
    #: the entry this one reverses, for the entries written by undo
    undo_of: int | None = None


