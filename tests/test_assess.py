"""Self-assessment: areas and their questions, answers, the divergence figures, the
command line and bad input."""

from __future__ import annotations

import json
import sqlite3

import pytest

from partnership.errors import AlreadyExists, NotFound, ValidationError


@pytest.fixture
def members(small):
    small.people.add(slug="sam-lee", name="Sam Lee", partner="lancs-council")
    small.people.add(slug="rosa-diaz", name="Rosa Diaz", partner="lancs-council")
    return small


def _answer(p, by, score, round_="2026-01", area="capacity", **kw):
    return p.assess.add(area, now=f"{by} says where we are", by=by, score=score, round=round_,
                        date=f"{round_}-15", **kw)


def test_builtin_areas_and_questions(p):
    assert [a.slug for a in p.assess.areas.list()] == ["activity", "capacity", "coherence"]
    assert p.assess.questions("capacity") == [
        "Do you have the capable and aware people you need?",
        "How can learning spread across all organisations?"]
    coherence = " ".join(p.assess.questions("coherence")).lower()
    for words in ("communication and decision making", "trust for agreed procedures",
                  "common evidence and data sets"):
        assert words in coherence
    activity = " ".join(p.assess.questions("activity")).lower()
    assert "level of risk" in activity and "success look like" in activity


def test_custom_area(p):
    a = p.assess.add_area("culture", questions=["Can partners say what they cannot do?"])
    assert a.name == "Culture" and not a.builtin
    assert p.assess.questions("culture") == ["Can partners say what they cannot do?"]
    with pytest.raises(AlreadyExists):
        p.assess.add_area("capacity")
    with pytest.raises(ValidationError):
        p.assess.add_area("Not A Slug")


def test_entry_fields(members):
    e = members.assess.add("capacity", now="Few heads know what the new legislation will demand",
                           want="Every school has two leaders trained", by="jo-bloggs", score=2,
                           evidence=["Survey of heads, Jan 2026", "Training log"], date="2026-01-20",
                           outcome="fewer-repeat-asb")
    assert e.round == "2026-01" and e.score == 2 and e.outcome == "fewer-repeat-asb"
    assert e.evidence_items == ["Survey of heads, Jan 2026", "Training log"]
    no_score = members.assess.add("coherence", now="Unsure", by="jo-bloggs", date="2026-01-20")
    assert no_score.score is None


def test_range_lowest_and_divergence_over_time(members):
    for by, score in (("jo-bloggs", 4), ("sam-lee", 2), ("rosa-diaz", 1)):
        _answer(members, by, score, "2026-01")
    for by, score in (("jo-bloggs", 3), ("sam-lee", 3), ("rosa-diaz", 4)):
        _answer(members, by, score, "2026-03")
    for by, score in (("jo-bloggs", 5), ("sam-lee", 1)):
        _answer(members, by, score, "2026-06")
    _answer(members, "rosa-diaz", None, "2026-06")
    [capacity] = members.assess.show("capacity")
    r1, r2, r3 = capacity["rounds"]
    assert (r1["lowest"], r1["highest"], r1["range"], r1["mean"]) == (1, 4, 3, 2.33)
    assert r1["scores"] == [1, 2, 4] and r1["divergence"] is None
    assert r1["stdev"] == pytest.approx(1.25, abs=0.01)
    assert (r2["lowest"], r2["range"], r2["divergence"]) == (3, 1, "narrowing")
    assert (r3["answers"], r3["scored"], r3["range"], r3["divergence"]) == (3, 2, 4, "widening")
    assert r3["mean"] == 3.0
    # every area by default, the empty ones too
    assert [a["area"] for a in members.assess.show()] == ["activity", "capacity", "coherence"]


def test_steady_and_unscored_rounds(members):
    _answer(members, "jo-bloggs", 2, "2026-01")
    _answer(members, "sam-lee", 3, "2026-01")
    _answer(members, "jo-bloggs", None, "2026-02")
    _answer(members, "jo-bloggs", 4, "2026-03")
    _answer(members, "sam-lee", 5, "2026-03")
    rounds = members.assess.show("capacity")[0]["rounds"]
    assert rounds[1]["lowest"] is None and rounds[1]["divergence"] is None
    assert rounds[2]["divergence"] == "steady"


def test_bad_input_leaves_the_database_unchanged(members, db_path, unchanged):
    with unchanged(db_path):
        for score in (0, 6, "7", "two", 2.5):
            with pytest.raises(ValidationError, match="score"):
                _answer(members, "jo-bloggs", score)
        with pytest.raises(NotFound, match="did you mean 'capacity'"):
            _answer(members, "jo-bloggs", 3, area="capacty")
        with pytest.raises(NotFound):
            _answer(members, "nobody", 3)
        with pytest.raises(ValidationError, match="now"):
            members.assess.add("capacity", now="  ", by="jo-bloggs")
        with pytest.raises(ValidationError, match="date"):
            members.assess.add("capacity", now="x", by="jo-bloggs", date="31/01/2026")


def test_who_answered_is_not_published(demo_path, tmp_path):
    import partnership
    from partnership.reporting.build import publish

    target = tmp_path / "public.db"
    with partnership.open(demo_path) as p:
        publish(p, target, metadata_out=False)
    conn = sqlite3.connect(target)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(assessments)")]
    assert "by" not in cols and "score" in cols and "now" in cols
    rows = conn.execute("SELECT area, round, answers, lowest, highest, range FROM assessment_divergence "
                        "WHERE area = 'capacity' ORDER BY round").fetchall()
    conn.close()
    assert rows == [("capacity", "2026-01", 3, 1, 4, 3), ("capacity", "2026-03", 3, 3, 4, 1)]


def test_cli(members, run, db_path, unchanged):
    members.close()
    r = run("assess", "add", "capacity", "--now", "Few heads know what the legislation demands",
            "--want", "Two leaders trained per school", "--evidence", "Survey of heads, Jan 2026",
            "--evidence", "Training log", "--by", "jo-bloggs", "--score", "2", "--date", "2026-01-20")
    assert r.exit_code == 0, r.output
    assert run("assess", "add", "capacity", "--now", "Fine", "--by", "sam-lee", "--score", "5",
               "--date", "2026-01-21").exit_code == 0
    r = run("assess", "show", "capacity", "--json")
    data = json.loads(r.stdout)
    assert data[0]["rounds"][0]["range"] == 3
    assert data[0]["rounds"][0]["entries"][0]["evidence"] == ["Survey of heads, Jan 2026", "Training log"]
    r = run("assess", "show", "--entries")
    assert "Capacity (capacity)" in r.stdout and "evidence: Training log" in r.stdout
    r = run("assess", "questions", "coherence")
    assert r.stdout.startswith("1. ") and "trust" in r.stdout
    assert json.loads(run("assess", "questions", "activity", "--json").stdout)["area"] == "activity"
    assert run("assess", "areas", "add", "culture", "--question", "Is failure discussed?").exit_code == 0
    r = run("assess", "areas", "--json")
    assert [a["slug"] for a in json.loads(r.stdout)] == ["activity", "capacity", "coherence", "culture"]
    assert "culture" in run("assess", "areas").stdout
    with unchanged(db_path):
        for args, words in ((["--score", "6"], "1 to 5"), (["--score", "x"], "score")):
            r = run("assess", "add", "capacity", "--now", "x", "--by", "jo-bloggs", *args)
            assert r.exit_code == 1 and words in r.stderr
            assert len(r.stderr.strip().splitlines()) == 1
        r = run("assess", "add", "capacty", "--now", "x", "--by", "jo-bloggs")
        assert r.exit_code == 1 and "did you mean 'capacity'" in r.stderr
        r = run("assess", "questions", "nope")
        assert r.exit_code == 1 and "assessment area 'nope'" in r.stderr
        r = run("assess", "show", "nope")
        assert r.exit_code == 1
