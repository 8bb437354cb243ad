"""The partnership's governance model and the key questions it raises.

The model itself (federation, franchise, alliance, professional partnership,
self-organising network, consumer-governed, other) is recorded with the partnership
(``partnership about --governance MODEL``). Each model raises a few key questions
(:data:`QUESTIONS`); the partnership answers them, one answer per question
(:class:`GovernanceAnswer`), and the public dashboard shows the model with its questions
and answers (the ``governance_questions`` view).

Answers are kept per model: changing the model shows the new model's questions, and the
old answers stay on record should the partnership change back.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from attrs import define, field

from .. import validators as v
from ..errors import ValidationError
from ..models import Governance, entity, ref
from ..records import Collection

if TYPE_CHECKING:
    from ..api import Partnership

__all__ = ["QUESTIONS", "GovernanceAnswer", "MODELS", "GovernanceQuestions"]

#: the key questions each governance model raises
QUESTIONS: dict[str, list[str]] = {
    "federation": [
        "Which decisions are taken together, and which stay with each member organisation?",
        "How does the federation hold a member to what it agreed?",
        "How are the costs and the benefits of the shared functions split?",
    ],
    "franchise": [
        "What is the trade-off between efficiency and participation?",
        "How much can a local franchisee adapt the model to its place?",
        "Who owns the brand, the method and the data?",
    ],
    "alliance": [
        "Can the alliance combine flexibility with long-term planning?",
        "How are decisions taken when the partners disagree?",
        "How does a partner join or leave the alliance?",
    ],
    "professional-partnership": [
        "How are professional standards kept and compared across the partners?",
        "Who is accountable to the people served when professionals disagree?",
        "How do the people served have a say?",
    ],
    "self-organising-network": [
        "How is practice monitored?",
        "How are standards compared?",
        "Who speaks for the network when a decision has to be taken?",
    ],
    "consumer-governed": [
        "How do the people served take part in decisions, and who is missing?",
        "How are professionals held to what the people served decide?",
        "How is the voice of the people served kept representative over time?",
    ],
    "other": [
        "How are decisions taken, and by whom?",
        "How is each partner held to what it agreed?",
        "How do the people the partnership serves have a say?",
    ],
}


def _number(_i: Any, attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise v.FieldProblem(f"{attribute.name} must be a question number, 1 or more (got {value!r})")


@entity("governance_answers", ("model", "number"), "governance answer")
@define(kw_only=True)
class GovernanceAnswer:
    """The partnership's answer to one key question of its governance model (public)."""

    model: Governance
    number: int = field(validator=_number)
    question: str = field(converter=v.strip, validator=v.text)
    answer: str = field(converter=v.strip, validator=v.text)
    by: str | None = ref("people", default=None, validator=v.optional_slug)
    date: dt.date


MODELS: list[type] = [GovernanceAnswer]


class GovernanceQuestions:
    """``p.governance``: the model's key questions and the partnership's answers."""

    def __init__(self, p: Partnership) -> None:
        self.p = p
        self.answers = Collection(p, GovernanceAnswer)

    def model(self) -> str:
        governance = self.p.info().governance
        return str(getattr(governance, "value", governance))

    def questions(self, model: str | None = None) -> list[str]:
        model = model or self.model()
        if model not in QUESTIONS:
            raise ValidationError(
                f"governance model '{model}' is not one of {', '.join(QUESTIONS)}")
        return list(QUESTIONS[model])

    def show(self) -> dict[str, Any]:
        """The model, each of its questions with the answer given (or None)."""
        model = self.model()
        answers = {a.number: a for a in self.answers.list(model=model)}
        rows = []
        for number, question in enumerate(self.questions(model), 1):
            a = answers.get(number)
            rows.append({"number": number, "question": question,
                         "answer": a.answer if a else None,
                         "by": a.by if a else None, "date": a.date if a else None})
        return {"model": model, "questions": rows,
                "answered": sum(1 for r in rows if r["answer"])}

    def answer(self, number: Any, text: str, *, by: str | None = None, on: Any = None) -> GovernanceAnswer:
        """Answer question ``number`` of the current model (replacing an earlier answer)."""
        model = self.model()
        questions = self.questions(model)
        try:
            n = int(str(number).strip().lstrip("#"))
        except ValueError:
            raise ValidationError(
                f"say which question by its number, 1 to {len(questions)} (got '{number}')") from None
        if not 1 <= n <= len(questions):
            raise ValidationError(
                f"the {model} model has questions 1 to {len(questions)} (got {n}); see them with "
                f"'partnership governance'")
        try:
            date = v.parse_date(on) if on is not None else self.p.today()
        except v.FieldProblem as exc:
            raise ValidationError(str(exc)) from None
        data = {"model": model, "number": n, "question": questions[n - 1], "answer": text,
                "by": by, "date": date}
        with self.p.store.transaction():
            self.answers.upsert(data)
            return self.answers.get(model, n)
