"""Step 3's kept rows (m012_gap_rows) and the analysis's light rows.

Triggers keep every row of the gaps views and of unmatched contributions in tables stored
in the order the analysis reads them; these tests hold them to the computing SQL they
replace (the version 2 views, which the public file still uses) through random writes,
an upgrade of an existing file and a rebuild, and hold :class:`partnership.gaps.service.Row`
to the dicts it replaces."""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
from pathlib import Path

import pytest

import partnership
from partnership.errors import PartnershipError
from partnership.gaps.migrations import GAP_VIEWS_V2
from partnership.gaps.service import Row, Rows

O = "fewer-repeat-asb"  # noqa: E741
FIXTURES = Path(__file__).parent / "fixtures"
#: the kept views and the order the analysis reads them in
KEPT = {"capacity_use": "partner, kind, unit", "gaps": "outcome, essential DESC, need",
        "gaps_counting_likely": "outcome, essential DESC, need",
        "unmatched_contributions": "outcome, contribution"}
OUTCOME_TOTALS = """
    SELECT outcome, '{basis}', count(*), sum(essential), sum(state = 'met'), sum(state = 'open'),
           sum(state = 'seeking'), sum(state = 'filled-externally'), sum(state = 'accepted'),
           sum(killer), sum(essential = 1 AND state = 'seeking')
    FROM ({sql}) GROUP BY outcome"""


def typed(rows: list[tuple]) -> list[tuple]:
    """Rows with each value's type beside it: 0 and 0.0 are equal, but print differently."""
    return [tuple((type(v).__name__, v) for v in r) for r in rows]


def assert_kept_rows_are_computed_rows(conn: sqlite3.Connection) -> None:
    for name, order in KEPT.items():
        kept = conn.execute(f"SELECT * FROM {name} ORDER BY {order}").fetchall()
        computed = conn.execute(f"SELECT * FROM ({GAP_VIEWS_V2[name]}) ORDER BY {order}").fetchall()
        assert typed(kept) == typed(computed), name
        # stored in the order they are read: the plain read gives them in that order
        assert conn.execute(f"SELECT * FROM {name}").fetchall() == kept, name
    expected = sorted(
        [*conn.execute(OUTCOME_TOTALS.format(basis="firm", sql=GAP_VIEWS_V2["gaps"])),
         *conn.execute(OUTCOME_TOTALS.format(basis="likely", sql=GAP_VIEWS_V2["gaps_counting_likely"]))])
    assert conn.execute("SELECT * FROM outcome_totals ORDER BY 1, 2").fetchall() == expected


@pytest.fixture
def asb(small):
    p = small
    p.partners.add(slug="youth-trust", name="Lunesdale Youth Trust", kind="charity")
    p.outcomes.add(slug="safer-night-time", title="People feel safe in the town centre at night",
                   beneficiaries="Residents")
    p.gaps.add_need(O, "youth-outreach", kind="people", amount=3, unit="FTE", essential=True)
    p.gaps.add_need(O, "data-sharing", kind="data", essential=True)
    p.gaps.add_need(O, "training", kind="skills", amount=6, unit="sessions")
    p.gaps.add_need("safer-night-time", "patrols", kind="people", amount=12, unit="hours/week",
                    essential=True)
    return p


def test_kept_rows_stay_the_computed_rows_through_random_writes(asb):
    """Needs added, changed (unit, amount, essential, words) and removed; contributions
    added, changed (need, unit, amount, confidence, words, partner) and removed; gap states
    set: after every write the kept rows are the rows the computing SQL gives, with the
    same types (a met need's gap stays 0, not 0.0); then a rebuild changes nothing."""
    p = asb
    conn = p.store.conn
    rng = random.Random(12)
    needs = [(O, "youth-outreach"), (O, "data-sharing"), (O, "training"),
             ("safer-night-time", "patrols")]
    units = ["FTE", "fte", "hours/week", "sessions", "HOURS/WEEK", None]
    ids = [1]
    spare = 0
    assert_kept_rows_are_computed_rows(conn)  # no contribution names a need yet
    for step in range(160):
        action = rng.random()
        outcome, need = rng.choice(needs)
        unit = rng.choice(units)
        amount = None if unit is None else rng.choice([1, 2, 2.5, 3, 12])
        try:
            if action < 0.35 or not ids:
                ids.append(p.contributions.add(
                    outcome=outcome, partner=rng.choice(["lancs-council", "youth-trust"]),
                    kind="people", description=f"Help {step}", meets=rng.choice([need, None]),
                    amount=amount, unit=unit,
                    confidence=rng.choice(["firm", "likely", "hoped"])).id)
            elif action < 0.5:
                p.contributions.update(rng.choice(ids), amount=amount, unit=unit,
                                       confidence=rng.choice(["firm", "likely", "hoped"]))
            elif action < 0.56:
                p.contributions.update(rng.choice(ids), meets=rng.choice(["", need]),
                                       description=f"Changed {step}",
                                       partner=rng.choice(["lancs-council", "lancs-police"]))
            elif action < 0.62:
                p.contributions.remove(ids.pop(rng.randrange(len(ids))))
            elif action < 0.72:
                if unit is None:
                    p.gaps.update_need(outcome, need, amount=None, unit=None,
                                       description=f"Now yes/no {step}")
                else:
                    p.gaps.update_need(outcome, need, amount=amount, unit=unit,
                                       kind=rng.choice(["people", "skills"]))
            elif action < 0.8:
                p.gaps.update_need(outcome, need, essential=rng.random() < 0.5)
            elif action < 0.86:
                spare += 1
                needs.append((outcome, f"extra-{spare}"))
                p.gaps.add_need(outcome, f"extra-{spare}", kind="money", amount=amount,
                                unit=unit, essential=rng.random() < 0.5)
            elif action < 0.9:
                p.gaps.remove_need(outcome, need)
                needs.remove((outcome, need))
            elif action < 0.95:
                partner = rng.choice(["lancs-council", "youth-trust", "lancs-police"])
                if rng.random() < 0.75:
                    p.gaps.set_capacity(partner, kind="people", amount=rng.choice([0, 1, 4]),
                                        unit=rng.choice(["FTE", "fte", "hours/week"]))
                else:
                    p.gaps.remove_capacity(partner, kind="people",
                                           unit=rng.choice(["FTE", "hours/week"]))
            else:
                rng.choice([lambda o=outcome, n=need: p.gaps.seek(o, n, candidate="Someone"),
                            lambda o=outcome, n=need: p.gaps.accept(o, n, reason="Fine"),
                            lambda o=outcome, n=need: p.gaps.fill_externally(o, n, by="Them"),
                            lambda o=outcome, n=need: p.gaps.reopen(o, n)])()
        except PartnershipError:
            continue
        assert_kept_rows_are_computed_rows(conn)
    kinds = {r[0] for r in conn.execute("SELECT why FROM unmatched_contributions")}
    assert "meets no need" in kinds and any(k.startswith("counted in ") for k in kinds)
    assert conn.execute("SELECT count(DISTINCT state) FROM gaps").fetchone()[0] >= 3
    assert conn.execute("SELECT count(*), sum(over_committed), sum(used > 0) FROM capacity_use"
                        ).fetchone() >= (2, 1, 1)
    kept = ("gap_rows", "unmatched_rows", "capacity_rows", "outcome_totals", "need_totals",
            "capacity_totals")
    before = [conn.execute(f"SELECT * FROM {t}").fetchall() for t in kept]
    p.gaps.rebuild_totals()
    assert [conn.execute(f"SELECT * FROM {t}").fetchall() for t in kept] == before


def test_rows_written_by_hand_are_kept_too(asb):
    """Writes by plain SQL (another tool) go through the same triggers: a contribution
    naming a need before the need exists, a need's unit changed, a need deleted, a
    capacity added in another case of the unit, its amount changed, removed."""
    conn = asb.store.conn
    with asb.store.transaction():
        conn.execute("INSERT INTO contributions (outcome, partner, kind, description, amount, "
                     "unit, meets) VALUES (?, 'lancs-council', 'money', 'Grant', 500, 'EUR', 'fund')",
                     [O])
    assert_kept_rows_are_computed_rows(conn)
    with asb.store.transaction():
        conn.execute("INSERT INTO needs (outcome, slug, kind, amount, unit, essential) "
                     "VALUES (?, 'fund', 'money', 1000, 'GBP', 1)", [O])
    assert_kept_rows_are_computed_rows(conn)
    assert "is counted in GBP" in asb.gaps.unmatched(outcome=O)[-1]["why"]
    with asb.store.transaction():
        conn.execute("UPDATE needs SET unit = 'eur' WHERE slug = 'fund'")
    assert_kept_rows_are_computed_rows(conn)
    assert next(g for g in asb.gaps.gaps() if g["need"] == "fund")["met"] == 500
    with asb.store.transaction():
        conn.execute("INSERT INTO capacities (partner, kind, unit, amount) "
                     "VALUES ('lancs-council', 'money', 'eur', 100)")
    assert_kept_rows_are_computed_rows(conn)
    assert asb.gaps.capacity_use()[0]["over_by"] == 400
    with asb.store.transaction():
        conn.execute("UPDATE capacities SET amount = 600")
    assert_kept_rows_are_computed_rows(conn)
    assert not asb.gaps.capacity_use()[0]["over_committed"]
    with asb.store.transaction():
        conn.execute("DELETE FROM contributions WHERE meets = 'fund'")
        conn.execute("DELETE FROM needs WHERE slug = 'fund'")
    assert_kept_rows_are_computed_rows(conn)
    assert asb.gaps.capacity_use()[0]["used"] == 0
    with asb.store.transaction():
        conn.execute("DELETE FROM capacities")
    assert_kept_rows_are_computed_rows(conn)
    assert asb.gaps.capacity_use() == []
    assert "fund" not in {g["need"] for g in asb.gaps.gaps()}


def test_an_existing_file_is_filled_on_upgrade(tmp_path):
    """The demo written at schema 16 (before the kept rows): opening it fills them with
    the rows its views gave, and the verdicts are as they were."""
    path = tmp_path / "old.db"
    shutil.copy(FIXTURES / "schema-v16.db", path)
    old = sqlite3.connect(path)
    views = {name: old.execute(f"SELECT * FROM {name} ORDER BY {order}").fetchall()
             for name, order in KEPT.items()}
    verdicts = old.execute("SELECT * FROM outcome_verdicts ORDER BY outcome").fetchall()
    old.close()
    assert views["gaps"] and views["unmatched_contributions"]
    with partnership.open(path) as p:
        conn = p.store.conn
        assert {name: conn.execute(f"SELECT * FROM {name}").fetchall() for name in KEPT} == views
        assert conn.execute("SELECT * FROM outcome_verdicts ORDER BY outcome").fetchall() == verdicts
        assert_kept_rows_are_computed_rows(conn)


def test_the_analysis_reads_stored_rows_without_sorting(demo_path):
    with partnership.open(demo_path) as p:
        conn = p.store.conn
        for name, order in KEPT.items():
            plan = " ".join(r[3] for r in conn.execute(
                f"EXPLAIN QUERY PLAN SELECT * FROM {name} ORDER BY {order}"))
            assert "TEMP B-TREE" not in plan, (name, plan)


def test_analysis_rows_read_like_the_dicts_they_replace(demo_path):
    with partnership.open(demo_path) as p:
        a = p.gaps.analysis()
        likely = p.gaps.analysis(count_likely=True, outcome=O)
        expected = {"basis": "firm", "verdicts": p.gaps.verdicts(), "gaps": p.gaps.gaps(),
                    "capacity": p.gaps.capacity_use(), "unmatched": p.gaps.unmatched()}
        assert likely.to_dict() == {
            "basis": "likely", "verdicts": p.gaps.verdicts(outcome=O, count_likely=True),
            "gaps": p.gaps.gaps(outcome=O, count_likely=True), "capacity": p.gaps.capacity_use(),
            "unmatched": p.gaps.unmatched(outcome=O)}
        again = p.gaps.analysis()
    assert a.to_dict() == expected
    assert json.dumps(a.to_dict()) == json.dumps(expected)
    assert a.gaps == again.gaps and a.gaps != a.verdicts and len(a.gaps) == len(expected["gaps"])
    killer = a.killers[0]
    assert isinstance(a.gaps, Rows) and isinstance(killer, Row)
    assert killer["killer"] is True and killer["essential"] is True
    assert killer["need"] == killer[1] and killer[:2] == (killer["outcome"], killer["need"])
    assert killer.get("no-such-column") is None and killer.get("no-such-column", 7) == 7
    assert killer.get("note") == killer["note"]
    with pytest.raises(KeyError):
        killer["no-such-column"]
    assert dict(killer) == killer.as_dict() == {**killer} == dict(killer.items())
    assert killer.keys() == a.gaps.names == tuple(expected["gaps"][0])
    assert killer.as_dict() in expected["gaps"]
    assert [r.as_dict() for r in a.gaps] == expected["gaps"]
    assert a.gaps[-1].as_dict() == expected["gaps"][-1]
    assert [r.as_dict() for r in a.gaps[1:3]] == expected["gaps"][1:3]
    assert [c["over_committed"] for c in a.capacity] == [c["over_committed"] for c in expected["capacity"]]
    assert all(type(c["over_committed"]) is bool for c in a.capacity)
    assert len(a.over_committed) == sum(c["over_committed"] for c in expected["capacity"]) == 1
    assert "rows of outcome, need" in repr(a.gaps)


def test_no_needs_no_rows(p):
    """A partnership without needs: empty views, and the analysis has nothing to read."""
    p.outcomes.add(slug="o", title="O")
    a = p.gaps.analysis()
    assert len(a.gaps) == 0 and not a.unmatched and a.to_dict()["gaps"] == []
    assert [v["verdict"] for v in a.verdicts] == ["no-needs"]
    assert_kept_rows_are_computed_rows(p.store.conn)


@pytest.mark.slow
def test_published_views_give_the_kept_rows(demo_path, tmp_path):
    """The public file computes the views from its copies of the public tables (it has no
    kept rows): the same rows as the working file's."""
    from partnership.reporting.build import publish

    with partnership.open(demo_path) as p:
        working = {name: p.store.conn.execute(f"SELECT * FROM {name} ORDER BY {order}").fetchall()
                   for name, order in KEPT.items()}
        publish(p, tmp_path / "public.db")
    public = sqlite3.connect(tmp_path / "public.db")
    for name, order in KEPT.items():
        assert public.execute(f"SELECT * FROM {name} ORDER BY {order}").fetchall() == working[name]
    assert working["gaps"] and working["unmatched_contributions"]
