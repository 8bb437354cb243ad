"""Self-assessment: where we are now, where we want to be, and the evidence.

Members answer for an *area* of the partnership's health: ``capacity``, ``coherence`` and
``activity`` are built in; others are added by name. Each :class:`Assessment` holds where
we are now, where we want to be, evidence items (one per line), an optional score from 1
to 5, who answered, when, the round it belongs to (default: the month of its date, such
as ``2026-01``) and optionally the outcome it concerns.

Several members may answer for the same area and round, and the value is in the
disagreement: :meth:`Assessments.show` gives, per area and round, the lowest and highest
score, their range, the mean and the standard deviation, and how the range moved since the
previous round (``divergence`` widening, narrowing or steady).

Who answered (``by``) is a private field: the public database shows what was said and the
scores, never who gave which score, so members can be candid.
"""

from __future__ import annotations

import datetime as dt
import statistics
from typing import TYPE_CHECKING, Any

from attrs import define, field

from .. import validators as v
from ..errors import AlreadyExists, ValidationError
from ..models import entity, ref
from ..records import Collection

if TYPE_CHECKING:
    from ..api import Partnership

__all__ = ["AssessmentArea", "Assessment", "MODELS", "Assessments", "BUILTIN_QUESTIONS"]

#: the key questions of the built-in areas
BUILTIN_QUESTIONS: dict[str, list[str]] = {
    "capacity": [
        "Do you have the capable and aware people you need?",
        "How can learning spread across all organisations?",
    ],
    "coherence": [
        "Are there clear lines of communication and decision making?",
        "Is there trust for agreed procedures?",
        "Do the partners share common evidence and data sets?",
    ],
    "activity": [
        "What level of risk is agreed?",
        "What does success look like, and how will you know?",
    ],
}


def _score(_i: Any, attribute: Any, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise v.FieldProblem(f"{attribute.name} must be a whole number from 1 to 5 (got {value!r})")


@entity("assessment_areas", ("slug",), "assessment area")
@define(kw_only=True)
class AssessmentArea:
    """An area of the partnership's health that members assess."""

    slug: str = field(validator=v.slug)
    name: str = field(converter=v.strip, validator=v.text)
    #: key questions, one per line (the built-in areas' questions live in the code)
    questions: str = field(default="", converter=v.strip, validator=v.optional_text)
    builtin: bool = False


@entity("assessments", ("id",), "self-assessment", order_by="area, round, id",
        match=("area", "round", "by", "now"))
@define(kw_only=True)
class Assessment:
    """One member's answer for an area in a round."""

    id: int | None = None
    area: str = ref("assessment_areas")
    round: str = field(validator=v.slug)
    date: dt.date
    now: str = field(converter=v.strip, validator=v.text)
    want: str = field(default="", converter=v.strip, validator=v.optional_text)
    #: evidence items, one per line
    evidence: str = field(default="", converter=v.strip, validator=v.link_or_text)
    score: int | None = field(default=None, validator=_score)
    #: who answered: private, so the public sees scores but not who gave them
    by: str = ref("people", metadata={"private": True})
    outcome: str | None = ref("outcomes", default=None, validator=v.optional_slug)

    @property
    def evidence_items(self) -> list[str]:
        return [line.strip() for line in self.evidence.splitlines() if line.strip()]


MODELS: list[type] = [AssessmentArea, Assessment]


def _stats(scores: list[int]) -> dict[str, Any]:
    if not scores:
        return {"lowest": None, "highest": None, "range": None, "mean": None, "stdev": None}
    return {
        "lowest": min(scores),
        "highest": max(scores),
        "range": max(scores) - min(scores),
        "mean": round(statistics.fmean(scores), 2),
        "stdev": round(statistics.pstdev(scores), 2),
    }


class Assessments:
    """``p.assess``: areas, their questions, answers, and the spread of scores over time."""

    def __init__(self, p: Partnership) -> None:
        self.p = p
        self.areas = Collection(p, AssessmentArea)
        self.entries = Collection(p, Assessment)

    def add_area(self, slug: str, name: str | None = None,
                 questions: list[str] | str | None = None) -> AssessmentArea:
        """Add a custom area (its name defaults to the slug, its questions one per line)."""
        if isinstance(questions, (list, tuple)):
            questions = "\n".join(q.strip() for q in questions if q.strip())
        if isinstance(slug, str) and self.areas.exists(slug):
            raise AlreadyExists("assessment area", slug, "answer for it with 'partnership assess add'")
        name = name or (slug.replace("-", " ").capitalize() if isinstance(slug, str) else slug)
        return self.areas.add(slug=slug, name=name, questions=questions or "", builtin=False)

    def questions(self, area: str) -> list[str]:
        """The key questions to ask about ``area``."""
        found = self.areas.get(area)
        if found.builtin and area in BUILTIN_QUESTIONS:
            return list(BUILTIN_QUESTIONS[area])
        return [q.strip() for q in found.questions.splitlines() if q.strip()]

    def add(self, area: str, *, now: str, by: str, want: str = "", evidence: list[str] | str = "",
            score: Any = None, date: Any = None, round: str | None = None,
            outcome: str | None = None) -> Assessment:
        """Record one member's answer for ``area``; the round defaults to the month of ``date``."""
        if isinstance(evidence, (list, tuple)):
            evidence = "\n".join(e.strip() for e in evidence if e and e.strip())
        if date is None:
            date = self.p.today()
        try:
            day = v.parse_date(date)
        except v.FieldProblem as exc:
            raise ValidationError(str(exc)) from None
        if round is None:
            round = day.strftime("%Y-%m")
        if score == "":
            score = None
        return self.entries.add(area=area, round=round, date=day, now=now, want=want,
                                evidence=evidence, score=score, by=by, outcome=outcome)

    def correct(self, ident: int, *, reason: str = "", **changes: Any) -> Assessment:
        """Correct one answer (its now, want, evidence, score, date, round or outcome); what
        is not given stays as it was, and the change log keeps the earlier values."""
        if isinstance(changes.get("evidence"), (list, tuple)):
            changes["evidence"] = "\n".join(e.strip() for e in changes["evidence"] if e and e.strip())
        if changes.get("score") == "":
            changes["score"] = None
        return self.entries.correct((ident,), changes, reason=reason)

    def remove(self, ident: int, *, reason: str = "") -> Assessment:
        """Remove one answer recorded by mistake (the log keeps it; who gave it, apart)."""
        return self.entries.remove(ident, reason=reason)

    def show(self, area: str | None = None) -> list[dict[str, Any]]:
        """Per area, per round: answers, the scores' lowest, highest, range, mean and spread.

        ``divergence`` says whether the range of scores widened, narrowed or held steady
        since the area's previous scored round (``None`` for the first).
        """
        areas = [self.areas.get(area)] if area else self.areas.list()
        result = []
        for a in areas:
            rounds: dict[str, list[Assessment]] = {}
            for e in self.entries.list(area=a.slug):
                rounds.setdefault(e.round, []).append(e)
            shown = []
            previous_range: int | None = None
            for label in sorted(rounds):
                entries = rounds[label]
                scores = [e.score for e in entries if e.score is not None]
                stats = _stats(scores)
                divergence = None
                if stats["range"] is not None:
                    if previous_range is not None:
                        change = stats["range"] - previous_range
                        divergence = "widening" if change > 0 else "narrowing" if change < 0 else "steady"
                    previous_range = stats["range"]
                shown.append({
                    "round": label,
                    "answers": len(entries),
                    "scored": len(scores),
                    "scores": sorted(scores),
                    **stats,
                    "divergence": divergence,
                    "entries": [{
                        "id": e.id, "date": e.date, "by": e.by, "score": e.score, "now": e.now,
                        "want": e.want, "evidence": e.evidence_items, "outcome": e.outcome,
                    } for e in entries],
                })
            result.append({"area": a.slug, "name": a.name, "builtin": a.builtin, "rounds": shown})
        return result
