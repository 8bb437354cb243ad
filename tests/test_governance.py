"""The governance model's key questions, the answers, what is published, and bad input."""

from __future__ import annotations

import json
import sqlite3

import pytest

from partnership.errors import NotFound, ValidationError
from partnership.health.governance import QUESTIONS
from partnership.models import Governance


def test_every_model_has_questions():
    assert set(QUESTIONS) == set(Governance.values())
    assert "flexibility with long-term planning" in QUESTIONS["alliance"][0]
    assert any("practice monitored" in q for q in QUESTIONS["self-organising-network"])
    assert any("standards compared" in q for q in QUESTIONS["self-organising-network"])
    assert any("efficiency and participation" in q for q in QUESTIONS["franchise"])


def test_show_and_answer(small):
    shown = small.governance.show()
    assert shown["model"] == "alliance" and shown["answered"] == 0
    assert shown["questions"][0]["answer"] is None
    a = small.governance.answer(1, "Yes: a three-year plan, reviewed quarterly", by="jo-bloggs",
                                on="2026-02-10")
    assert a.question == QUESTIONS["alliance"][0]
    small.governance.answer("2", "By consensus")
    small.governance.answer(1, "Partly")  # a new answer replaces the old one
    shown = small.governance.show()
    assert [q["answer"] for q in shown["questions"]][:2] == ["Partly", "By consensus"]
    assert shown["answered"] == 2
    # another model: its own questions; the old answers are kept for the old model
    small.update_info(governance="franchise")
    shown = small.governance.show()
    assert shown["model"] == "franchise" and shown["answered"] == 0
    small.update_info(governance="alliance")
    assert small.governance.show()["answered"] == 2


def test_bad_answers(small, db_path, unchanged):
    with unchanged(db_path):
        with pytest.raises(ValidationError, match="questions 1 to 3"):
            small.governance.answer(4, "x")
        with pytest.raises(ValidationError, match="number"):
            small.governance.answer("first", "x")
        with pytest.raises(ValidationError, match="answer"):
            small.governance.answer(1, "   ")
        with pytest.raises(NotFound):
            small.governance.answer(1, "x", by="nobody")


def test_published_with_the_model(demo_path, tmp_path):
    import partnership
    from partnership.reporting.build import publish

    target = tmp_path / "public.db"
    with partnership.open(demo_path) as p:
        publish(p, target, metadata_out=False)
    conn = sqlite3.connect(target)
    rows = conn.execute("SELECT model, number, question, answer FROM governance_questions").fetchall()
    conn.close()
    assert [r[1] for r in rows] == [1, 2, 3]
    assert {r[0] for r in rows} == {"alliance"}
    assert rows[0][3].startswith("Partly") and rows[2][3] is None


def test_cli(small, run, db_path, unchanged):
    small.close()
    r = run("governance")
    assert r.exit_code == 0 and "Governance model: alliance" in r.stdout
    assert "flexibility with long-term planning" in r.stdout and "not answered" in r.stdout
    r = run("governance", "answer", "1", "Yes, with a five-year plan", "--by", "jo-bloggs")
    assert r.exit_code == 0, r.output
    data = json.loads(run("governance", "--json").stdout)
    assert data["questions"][0]["answer"] == "Yes, with a five-year plan"
    with unchanged(db_path):
        r = run("governance", "answer", "9", "x")
        assert r.exit_code == 1 and "questions 1 to 3" in r.stderr
