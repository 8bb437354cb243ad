"""Step 3: needs, matching, gap states, verdicts, honest capacity, checks, CLI."""

from __future__ import annotations

import json
import random
import sqlite3

import pytest

import partnership
from partnership.errors import Conflict, NotFound, ValidationError

O = "fewer-repeat-asb"  # noqa: E741 (the outcome most tests use; short for readability)


@pytest.fixture
def asb(small):
    """``small`` plus a second outcome and the needs of fewer-repeat-asb."""
    p = small
    p.partners.add(slug="youth-trust", name="Lunesdale Youth Trust", kind="charity")
    p.outcomes.add(slug="safer-night-time", title="People feel safe in the town centre at night",
                   beneficiaries="Residents")
    p.gaps.add_need(O, "youth-outreach", kind="people", amount=3, unit="FTE", essential=True,
                    description="Detached youth workers in the three hotspot wards")
    p.gaps.add_need(O, "data-sharing", kind="data", essential=True)
    p.gaps.add_need(O, "training", kind="skills", amount=6, unit="sessions")
    p.gaps.add_need("safer-night-time", "patrols", kind="people", amount=12, unit="hours/week",
                    essential=True)
    return p


def gap(p, need, outcome=O, **kw):
    return next(g for g in p.gaps.gaps(outcome=outcome, **kw) if g["need"] == need)


def verdict(p, outcome=O, **kw):
    return p.gaps.verdict(outcome, **kw).value


def contribute(p, partner="lancs-council", outcome=O, **fields):
    fields.setdefault("kind", "people")
    fields.setdefault("description", "Something")
    return p.contributions.add(outcome=outcome, partner=partner, **fields)


# -- needs ------------------------------------------------------------------------------------


def test_need_round_trip(asb):
    need = asb.gaps.get_need(O, "youth-outreach")
    assert (need.amount, need.unit, need.essential, need.kind.value) == (3.0, "FTE", True, "people")
    yes_no = asb.gaps.get_need(O, "data-sharing")
    assert yes_no.amount is None and yes_no.unit is None and yes_no.essential
    assert not asb.gaps.get_need(O, "training").essential  # helpful by default
    assert [n.slug for n in asb.gaps.list_needs(O)] == ["data-sharing", "training", "youth-outreach"]
    asb.gaps.update_need(O, "training", amount=8)
    assert asb.gaps.get_need(O, "training").amount == 8
    assert asb.changes(entity="need")[0].summary.startswith("need fewer-repeat-asb/training")


def test_same_need_slug_in_two_outcomes(asb):
    asb.gaps.add_need("safer-night-time", "data-sharing", kind="data")
    assert len(asb.gaps.list_needs()) == 5


@pytest.mark.parametrize("fields, words", [
    (dict(amount=-1, unit="FTE"), "must not be negative"),
    (dict(amount=0, unit="FTE"), "more than 0"),
    (dict(amount=2), "needs a unit"),
    (dict(unit="FTE"), "needs an amount"),
    (dict(kind="staff"), "must be one of"),
    (dict(amount="lots", unit="FTE"), "must be a number"),
])
def test_bad_needs_are_refused(asb, fields, words):
    with pytest.raises(ValidationError, match=words):
        asb.gaps.add_need(O, "bad", **fields)
    assert not asb.gaps.needs.exists(O, "bad")


def test_need_on_unknown_outcome(asb):
    with pytest.raises(NotFound, match="no outcome 'fewer-repeat'"):
        asb.gaps.add_need("fewer-repeat", "x")


def test_duplicate_need(asb):
    with pytest.raises(partnership.errors.AlreadyExists):
        asb.gaps.add_need(O, "training")


# -- matching -----------------------------------------------------------------------------------


def test_meets_must_name_a_need_of_the_same_outcome(asb):
    with pytest.raises(ValidationError, match="belongs to outcome safer-night-time, not fewer-repeat-asb"):
        contribute(asb, meets="patrols", amount=1, unit="hours/week")
    with pytest.raises(NotFound, match="youth-outrech.*did you mean 'youth-outreach'"):
        contribute(asb, meets="youth-outrech")
    c = contribute(asb, meets="youth-outreach", amount=1, unit="FTE")
    # moving it to another outcome while it meets a need of this one is refused
    with pytest.raises(ValidationError, match="belongs to outcome fewer-repeat-asb"):
        asb.contributions.update(c.id, outcome="safer-night-time")
    assert asb.contributions.update(c.id, meets="").meets is None


def test_amount_need_met_partly_met_unmet(asb):
    g = gap(asb, "youth-outreach")
    assert (g["cover"], g["met"], g["gap"], g["state"], g["killer"]) == ("unmet", 0, 3, "open", True)
    contribute(asb, meets="youth-outreach", amount=1, unit="FTE")
    g = gap(asb, "youth-outreach")
    assert (g["cover"], g["met"], g["gap"], g["killer"]) == ("partly-met", 1, 2, True)
    contribute(asb, partner="youth-trust", meets="youth-outreach", amount=2.5, unit="FTE")
    g = gap(asb, "youth-outreach")
    assert (g["cover"], g["met"], g["gap"], g["state"], g["killer"]) == ("met", 3.5, 0, "met", False)


def test_units_must_match_the_need_to_count(asb):
    # another unit does not count and is shown as unmatched; case does not matter
    odd = contribute(asb, meets="youth-outreach", amount=20, unit="hours")
    contribute(asb, partner="youth-trust", meets="youth-outreach", amount=1, unit="fte")
    g = gap(asb, "youth-outreach")
    assert (g["met"], g["gap"], g["contributions"]) == (1, 2, 1)
    unmatched = {u["contribution"]: u["why"] for u in asb.gaps.unmatched()}
    assert unmatched[odd.id] == "counted in hours but need youth-outreach is counted in FTE"
    # the small fixture's PCSOs meet nothing
    assert unmatched[1] == "meets no need"


def test_yes_no_need_is_met_by_a_contribution_naming_it(asb):
    assert gap(asb, "data-sharing")["cover"] == "unmet"
    contribute(asb, kind="data", meets="data-sharing", description="Information-sharing agreement")
    g = gap(asb, "data-sharing")
    assert (g["cover"], g["gap"], g["met"], g["contributions"]) == ("met", None, None, 1)


def test_only_firm_contributions_count_unless_count_likely(asb):
    contribute(asb, meets="youth-outreach", amount=2, unit="FTE", confidence="likely")
    contribute(asb, partner="youth-trust", meets="youth-outreach", amount=1, unit="FTE",
               confidence="hoped")
    assert gap(asb, "youth-outreach")["met"] == 0
    likely = gap(asb, "youth-outreach", count_likely=True)
    assert (likely["met"], likely["gap"], likely["hoped"]) == (2, 1, 1)
    contribute(asb, kind="data", meets="data-sharing", confidence="likely", description="DSA")
    assert gap(asb, "data-sharing")["cover"] == "unmet"
    assert gap(asb, "data-sharing", count_likely=True)["cover"] == "met"
    with pytest.raises(ValidationError, match="firm, likely, hoped"):
        contribute(asb, confidence="certain")


# -- states and verdicts ---------------------------------------------------------------------------


def test_verdicts_through_every_state(asb):
    p = asb
    assert p.gaps.verdicts(outcome="safer-night-time")[0]["killers"] == 1
    # two essential gaps open: reboot
    assert verdict(p) == "reboot"
    p.gaps.seek(O, "youth-outreach", candidate="Lancaster YMCA", note="first meeting in March")
    assert gap(p, "youth-outreach")["state"] == "seeking"
    assert verdict(p) == "reboot"  # data-sharing is still a killer
    p.gaps.accept(O, "data-sharing", reason="Can be achieved with published data")
    assert verdict(p) == "at-risk"
    p.gaps.fill_externally(O, "youth-outreach")
    g = gap(p, "youth-outreach")
    assert (g["state"], g["candidate"], g["killer"]) == ("filled-externally", "Lancaster YMCA", False)
    assert verdict(p) == "on-course"  # the helpful training gap does not matter
    assert gap(p, "training")["state"] == "open" and not gap(p, "training")["killer"]
    p.gaps.reopen(O, "youth-outreach")
    assert gap(p, "youth-outreach")["candidate"] == "" and verdict(p) == "reboot"
    row = p.gaps.verdicts(outcome=O)[0]
    assert {k: row[k] for k in ("needs", "essential_needs", "open", "accepted", "killers")} == {
        "needs": 3, "essential_needs": 2, "open": 2, "accepted": 1, "killers": 1}


def test_outcome_without_needs(p):
    p.outcomes.add(slug="x", title="Fewer people are hurt")
    assert p.gaps.verdict("x").value == "no-needs"


def test_a_met_need_shows_met_whatever_was_recorded(asb):
    asb.gaps.seek(O, "training", candidate="College")
    contribute(asb, kind="skills", meets="training", amount=6, unit="sessions")
    assert gap(asb, "training")["state"] == "met"


def test_state_needs_its_detail(asb):
    with pytest.raises(ValidationError, match="needs a reason"):
        asb.gaps.accept(O, "data-sharing", reason="  ")
    with pytest.raises(ValidationError, match="needs a candidate"):
        asb.gaps.seek(O, "data-sharing", candidate="")
    with pytest.raises(ValidationError, match="--by"):
        asb.gaps.fill_externally(O, "data-sharing")
    with pytest.raises(NotFound, match="no outcome"):
        asb.gaps.accept("nowhere", "data-sharing", reason="x")
    with pytest.raises(ValidationError, match="belongs to outcome safer-night-time"):
        asb.gaps.accept(O, "patrols", reason="x")
    with pytest.raises(NotFound, match="need of outcome"):
        asb.gaps.accept(O, "nothing", reason="x")
    assert asb.gaps.states.count() == 0


def test_remove_need(asb):
    c = contribute(asb, meets="youth-outreach", amount=1, unit="FTE")
    asb.gaps.seek(O, "youth-outreach", candidate="YMCA")
    with pytest.raises(Conflict, match=f"met by contribution\\(s\\) #{c.id}"):
        asb.gaps.remove_need(O, "youth-outreach")
    asb.contributions.update(c.id, meets=None)
    asb.gaps.remove_need(O, "youth-outreach")
    assert not asb.gaps.states.exists(O, "youth-outreach")
    assert verdict(asb) == "reboot"  # data-sharing
    with pytest.raises(Conflict, match="still used by .*2 needs"):
        asb.outcomes.remove(O)


# -- honest capacity ---------------------------------------------------------------------------------


def test_over_commitment_across_outcomes(asb):
    p = asb
    contribute(p, partner="youth-trust", meets="youth-outreach", amount=2, unit="FTE")
    contribute(p, partner="youth-trust", outcome="safer-night-time", amount=1, unit="fte",
               confidence="hoped")
    contribute(p, partner="youth-trust", outcome="safer-night-time", kind="money", amount=5, unit="GBP")
    p.gaps.set_capacity("youth-trust", kind="people", amount=2.5, unit="FTE", note="two workers")
    use = p.gaps.capacity_use(partner="youth-trust")[0]
    assert (use["used"], use["used_firm"], use["outcomes"], use["over_by"], use["over_committed"]) == (
        3, 2, 2, 0.5, True)
    # same unit in another case updates the same capacity
    p.gaps.set_capacity("youth-trust", kind="people", amount="3", unit="fte")
    [use] = p.gaps.capacity_use(partner="youth-trust")
    assert (use["capacity"], use["unit"], use["over_committed"]) == (3, "FTE", False)
    assert p.gaps.capacities.get("youth-trust", "people", "FTE").note == "two workers"


def test_capacity_in_a_unit_never_used_is_refused(asb):
    with pytest.raises(ValidationError, match="never uses the unit 'hours'.*FTE"):
        asb.gaps.set_capacity("lancs-police", kind="people", amount=10, unit="hours")
    with pytest.raises(ValidationError, match="no contributions with an amount"):
        asb.gaps.set_capacity("youth-trust", kind="people", amount=1, unit="FTE")
    with pytest.raises(NotFound, match="no partner"):
        asb.gaps.set_capacity("nobody", kind="people", amount=1, unit="FTE")
    with pytest.raises(ValidationError, match="must not be negative"):
        asb.gaps.set_capacity("lancs-police", kind="people", amount=-1, unit="FTE")
    assert asb.gaps.capacities.count() == 0


# -- checks --------------------------------------------------------------------------------------------


def findings(p, rule):
    return [f for f in p.check() if f.rule == rule]


def test_checks(asb):
    p = asb
    killers = findings(p, "collaboration-killer")
    assert sorted(f.message.split()[4] for f in killers) == ["data-sharing", "patrols", "youth-outreach"]
    assert all(f.step == 3 and f.severity.value == "problem" for f in killers)
    p.outcomes.update("safer-night-time", status="dropped")
    assert len(findings(p, "collaboration-killer")) == 2
    # unmatched: only for outcomes whose needs are recorded
    [u] = findings(p, "unmatched-contribution")
    assert u.subject == "contribution 1" and u.severity.value == "warning"
    contribute(p, partner="lancs-police", meets="youth-outreach", amount=2, unit="FTE")
    p.gaps.set_capacity("lancs-police", kind="people", amount=3, unit="FTE")
    [over] = findings(p, "over-committed")
    assert "add up to 4 FTE across 1 outcome," in over.message and over.subject == "partner lancs-police"


# -- the views and their running totals ------------------------------------------------------------


def test_running_totals_stay_true_through_random_writes(asb):
    """The triggers keep need_totals and outcome_totals equal to a recomputation."""
    p = asb
    rng = random.Random(7)
    needs = [("fewer-repeat-asb", "youth-outreach"), ("fewer-repeat-asb", "data-sharing"),
             ("fewer-repeat-asb", "training"), ("safer-night-time", "patrols")]
    units = ["FTE", "fte", "hours/week", "sessions", None]
    ids: list[int] = []
    for _ in range(120):
        action = rng.random()
        outcome, need = rng.choice(needs)
        unit = rng.choice(units)
        amount = None if unit is None else rng.randint(1, 5)
        try:
            if action < 0.45 or not ids:
                ids.append(contribute(p, partner=rng.choice(["lancs-council", "youth-trust"]),
                                      outcome=outcome, meets=rng.choice([need, None]),
                                      amount=amount, unit=unit,
                                      confidence=rng.choice(["firm", "likely", "hoped"])).id)
            elif action < 0.7:
                p.contributions.update(rng.choice(ids), amount=amount, unit=unit,
                                       confidence=rng.choice(["firm", "likely", "hoped"]))
            elif action < 0.8:
                p.contributions.update(rng.choice(ids), meets="")
            elif action < 0.88:
                p.contributions.remove(ids.pop(rng.randrange(len(ids))))
            elif action < 0.94:
                p.gaps.update_need(outcome, need, essential=rng.random() < 0.5)
            else:
                rng.choice([lambda o=outcome, n=need: p.gaps.seek(o, n, candidate="Someone"),
                            lambda o=outcome, n=need: p.gaps.accept(o, n, reason="Fine"),
                            lambda o=outcome, n=need: p.gaps.reopen(o, n)])()
        except partnership.errors.PartnershipError:
            pass
    conn = p.store.conn
    before = [conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
              for t in ("need_totals", "outcome_totals")]
    p.gaps.rebuild_totals()
    after = [conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
             for t in ("need_totals", "outcome_totals")]
    assert before == after and len(after[0]) == 4


def test_capacity_totals_stay_true_through_adds_updates_removes_and_undo(asb):
    """capacity_totals, kept by triggers, give the same capacity use as the grouped join
    over every contribution (the view of version 1), and equal a fresh rebuild."""
    from partnership.gaps.migrations import GAP_VIEWS_V1

    p = asb
    rng = random.Random(11)
    partners = ["lancs-council", "youth-trust"]
    units = ["FTE", "fte", "sessions", None]
    fresh_sql = f"SELECT * FROM ({GAP_VIEWS_V1['capacity_use']}) ORDER BY partner, kind, unit"
    conn = p.store.conn
    ids: list[int] = []
    undone = 0
    for step in range(160):
        action = rng.random()
        unit = rng.choice(units)
        amount = None if unit is None else rng.randint(1, 5)
        try:
            if action < 0.35 or not ids:
                ids.append(contribute(p, partner=rng.choice(partners),
                                      kind=rng.choice(["people", "skills"]), amount=amount,
                                      unit=unit, confidence=rng.choice(["firm", "likely", "hoped"]),
                                      outcome=rng.choice([O, "safer-night-time"])).id)
            elif action < 0.55:
                p.contributions.update(rng.choice(ids), amount=amount, unit=unit,
                                       kind=rng.choice(["people", "skills"]),
                                       confidence=rng.choice(["firm", "likely", "hoped"]))
            elif action < 0.65:
                p.contributions.remove(ids.pop(rng.randrange(len(ids))))
            elif action < 0.85:
                p.gaps.set_capacity(rng.choice(partners), kind=rng.choice(["people", "skills"]),
                                    amount=rng.randint(0, 8), unit=rng.choice(["FTE", "sessions"]))
            elif action < 0.92:
                p.gaps.remove_capacity(rng.choice(partners), kind=rng.choice(["people", "skills"]),
                                       unit=rng.choice(["fte", "sessions"]))
            else:
                p.undo(reason="testing")
                undone += 1
        except partnership.errors.PartnershipError:
            pass
        if step % 20 == 19:
            assert conn.execute("SELECT * FROM capacity_use ORDER BY partner, kind, unit"
                                ).fetchall() == conn.execute(fresh_sql).fetchall()
    kept = conn.execute("SELECT * FROM capacity_totals ORDER BY 1, 2, 3").fetchall()
    used = conn.execute("SELECT * FROM capacity_use ORDER BY partner, kind, unit").fetchall()
    assert used == conn.execute(fresh_sql).fetchall()
    p.gaps.rebuild_totals()
    assert conn.execute("SELECT * FROM capacity_totals ORDER BY 1, 2, 3").fetchall() == kept
    assert undone >= 3 and len(kept) >= 2 and any(r[5] for r in used)  # capacities that are used


def test_public_views_are_registered_and_publish(demo_path, tmp_path):
    from partnership.plugins import default_registry

    PUBLIC_VIEWS = {d.name for d in default_registry().public if getattr(d, 'kind', '') == 'view'}
    public_tables = lambda: {d.name for d in default_registry().public  # noqa: E731
                             if getattr(d, 'copy', None) is not None}
    from partnership.reporting.build import publish

    assert {"gaps", "outcome_verdicts", "capacity_use"} <= set(PUBLIC_VIEWS)
    assert {"needs", "need_totals", "outcome_totals", "gap_states", "capacities"} <= set(public_tables())
    with partnership.open(demo_path) as p:
        expected = p.gaps.gaps()
        result = publish(p, tmp_path / "public.db")
    assert {"gaps", "outcome_verdicts", "capacity_use"} <= set(result.views)
    conn = sqlite3.connect(tmp_path / "public.db")
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT * FROM gaps ORDER BY outcome, essential DESC, need")]
    assert [(r["need"], r["state"], r["gap"]) for r in rows] == [
        (g["need"], g["state"], g["gap"]) for g in expected]
    assert conn.execute("SELECT count(*) FROM where_are_the_gaps WHERE state = 'seeking'").fetchone()[0] == 1


def test_old_database_upgrades_with_contributions_kept(tmp_path):
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    from partnership import schema

    path = tmp_path / "old.db"
    old = Migrations(schema.MIGRATION_SET)
    old()(schema.m001_core)
    db = Database(path)
    old.apply(db)
    db.execute("INSERT INTO partnership (id, name, created_at) VALUES (1, 'Old', '2025-01-01')")
    db.execute("INSERT INTO partners (slug, name, kind) VALUES ('a', 'A', 'other')")
    db.execute("INSERT INTO outcomes (slug, title) VALUES ('o', 'O')")
    db.execute("INSERT INTO contributions (outcome, partner, kind, description, amount, unit) "
               "VALUES ('o', 'a', 'people', 'x', 1, 'FTE')")
    db.conn.commit()
    db.close()
    with partnership.open(path) as p:
        c = p.contributions.get(1)
        assert c.meets is None and c.confidence.value == "firm"
        p.gaps.add_need("o", "staff", kind="people", amount=2, unit="FTE", essential=True)
        p.contributions.update(1, meets="staff")
        assert gap(p, "staff", outcome="o")["met"] == 1


def test_export_import_round_trip(asb, tmp_path, migrated_template):
    import shutil

    from partnership.exchange import dumps, export_data, import_document

    contribute(asb, meets="youth-outreach", amount=1, unit="FTE", confidence="likely")
    asb.gaps.set_capacity("lancs-council", kind="people", amount=1, unit="FTE")
    asb.gaps.accept(O, "data-sharing", reason="Published data will do")
    data = export_data(asb)
    assert data["needs"] and data["capacities"] and data["gap_states"]
    path = tmp_path / "export.json"
    path.write_text(dumps(data, "json"))
    shutil.copyfile(migrated_template, tmp_path / "copy.db")  # the schema, pre-built
    with partnership.create(tmp_path / "copy.db", name="Copy") as copy:
        import_document(copy, path)
        assert copy.gaps.gaps() == asb.gaps.gaps()
        assert copy.gaps.capacity_use() == asb.gaps.capacity_use()


# -- the command line -------------------------------------------------------------------------------------


@pytest.fixture
def cli_db(asb, db_path):
    asb.close()
    return db_path


def test_cli_needs(cli_db, run):
    r = run("need", "add", "safer-night-time", "safe-space", "--kind", "money", "--amount", "60000",
            "--unit", "GBP", "--essential", "--description", "Safe space funding")
    assert r.exit_code == 0 and "added need safe-space" in r.stderr
    r = run("need", "list", "--outcome", "safer-night-time")
    assert "safe-space" in r.stdout and "60000" in r.stdout and "patrols" in r.stdout
    r = run("need", "update", "safer-night-time", "safe-space", "--helpful")
    assert r.exit_code == 0
    rows = json.loads(run("need", "list", "--json").stdout)
    assert {"outcome": "safer-night-time", "slug": "safe-space", "kind": "money",
            "description": "Safe space funding", "amount": 60000.0, "unit": "GBP",
            "essential": False} in rows
    r = run("need", "update", O, "training", "--amount", "", "--unit", "")
    assert r.exit_code == 0
    assert run("need", "remove", "safer-night-time", "safe-space").exit_code == 0
    assert "safe-space" not in run("need", "list").stdout


def test_cli_contribution_meets_and_gaps(cli_db, run):
    r = run("contribution", "add", O, "lancs-council", "--kind", "people", "--description", "Worker",
            "--amount", "1", "--unit", "FTE", "--meets", "youth-outreach", "--confidence", "likely")
    assert r.exit_code == 0, r.stderr
    assert "likely" in run("contribution", "list").stdout
    assert run("capacity", "set", "lancs-council", "--kind", "people", "--amount", "0.5",
               "--unit", "FTE").exit_code == 0
    r = run("gap", "seek", O, "youth-outreach", "--candidate", "Lancaster YMCA", "--note", "call")
    assert r.exit_code == 0 and "seeking Lancaster YMCA" in r.stderr
    r = run("gap", "accept", O, "data-sharing", "--reason", "Can be achieved with published data")
    assert r.exit_code == 0
    r = run("gaps")
    assert r.exit_code == 0
    assert "AT RISK" in r.stdout and "Lancaster YMCA" in r.stdout and "REBOOT" in r.stdout
    assert "OVER-COMMITTED by 0.5 FTE" in r.stdout
    data = json.loads(run("gaps", "--json").stdout)
    assert set(data) == {"basis", "verdicts", "gaps", "capacity", "unmatched"}
    assert data["basis"] == "firm"
    g = next(x for x in data["gaps"] if x["need"] == "youth-outreach")
    assert (g["met"], g["state"], g["candidate"]) == (0, "seeking", "Lancaster YMCA")
    likely = json.loads(run("gaps", "--json", "--count-likely", "--outcome", O).stdout)
    g = next(x for x in likely["gaps"] if x["need"] == "youth-outreach")
    assert likely["basis"] == "likely" and g["met"] == 1 and g["gap"] == 2
    assert {v["outcome"] for v in likely["verdicts"]} == {O}
    assert run("contribution", "update", "2", "--confidence", "firm").exit_code == 0
    assert run("gap", "fill", O, "youth-outreach").exit_code == 0
    assert run("gap", "reopen", O, "youth-outreach").exit_code == 0
    caps = json.loads(run("capacity", "list", "--json").stdout)
    assert caps[0]["over_committed"] is True and caps[0]["used"] == 1
    assert "OVER-COMMITTED" in run("capacity", "list").stdout
    assert run("capacity", "remove", "lancs-council", "--kind", "people", "--unit", "fte").exit_code == 0
    assert json.loads(run("capacity", "list", "--json").stdout) == []


@pytest.mark.parametrize("args, words", [
    (("need", "add", "no-such-outcome", "x"), "no outcome 'no-such-outcome'"),
    (("need", "add", O, "x", "--amount", "-2", "--unit", "FTE"), "must not be negative"),
    (("need", "add", O, "x", "--amount", "2"), "needs a unit"),
    (("gap", "seek", "no-such-outcome", "x", "--candidate", "Y"), "no outcome"),
    (("gap", "accept", O, "data-sharing"), "needs a reason"),
    (("gap", "accept", O, "nope", "--reason", "r"), "no need of outcome"),
    (("contribution", "add", O, "lancs-council", "--description", "x", "--meets", "patrols"),
     "belongs to outcome safer-night-time"),
    (("contribution", "add", O, "lancs-council", "--description", "x", "--confidence", "sure"),
     "must be one of firm, likely, hoped"),
    (("contribution", "update", "1", "--meets", "patrols"), "belongs to outcome safer-night-time"),
    (("capacity", "set", "lancs-council", "--kind", "people", "--amount", "3", "--unit", "hours"),
     "never uses the unit 'hours'"),
    (("capacity", "set", "lancs-police", "--kind", "people", "--amount", "-3", "--unit", "FTE"),
     "must not be negative"),
    (("capacity", "remove", "lancs-police", "--kind", "people", "--unit", "FTE"), "no capacity"),
    (("need", "remove", O, "nope"), "no need"),
    (("gaps", "--outcome", "nope"), "no outcome"),
])
def test_cli_bad_input(cli_db, run, unchanged, args, words):
    with unchanged(cli_db):
        r = run(*args)
    assert r.exit_code == 1
    assert words in r.stderr and r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1
    assert "Traceback" not in r.stderr


def test_demo(demo_path, run):
    with partnership.open(demo_path) as p:
        verdicts = {v["outcome"]: v["verdict"] for v in p.gaps.verdicts()}
        analysis = p.gaps.analysis()
        rules = [f.rule for f in p.check()]
    assert verdicts["fewer-young-people-exploited"] == "reboot"
    assert verdicts["fewer-repeat-asb"] == "at-risk"
    assert verdicts["safer-night-time"] == "on-course"
    assert verdicts["domestic-abuse-help-sooner"] == "no-needs"
    assert len(analysis.killers) == 1 and len(analysis.over_committed) == 1
    assert {g["state"] for g in analysis.gaps} >= {"met", "seeking", "accepted"}
    assert rules.count("collaboration-killer") == 1 and rules.count("over-committed") == 1
    r = run("--db", str(demo_path), "gaps", db=False)
    assert r.exit_code == 0 and "KILLER" in r.stdout
    # a table per outcome under its verdict; what was decided about each gap follows in full
    assert "\nfewer-repeat-asb: AT RISK  (" in r.stdout
    assert "\n  youth-outreach: seeking Lancaster YMCA: " in r.stdout
    assert "\n  safe-space-funding: accepted: The safe space can open two nights a week" in r.stdout
    assert "unmet, KILLER" in r.stdout and "\n  information-sharing: collaboration killer: " in r.stdout
    assert r.stdout.rstrip().endswith("1 over-committed capacity, 3 unmatched contributions.")
