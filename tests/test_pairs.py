"""Unmentoring pairs: the draw's rules over many seeded draws, the library, the command
line, bad input and the privacy of what is published."""

from __future__ import annotations

import csv
import itertools
import json
import sqlite3
import stat

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partnership.errors import AlreadyExists, Conflict, NotFound, ValidationError
from partnership.health.pairing import draw_groups, grouping_cost

# -- the draw itself, property-based ---------------------------------------------------------------


@st.composite
def populations(draw, min_people=2, max_people=40, max_partners=6):
    n = draw(st.integers(min_people, max_people))
    k = draw(st.integers(1, max_partners))
    people = [f"p{i:02d}" for i in range(n)]
    partner_of = {p: f"org{draw(st.integers(0, k - 1))}" for p in people}
    return people, partner_of


def _check_partition(people, groups):
    drawn = [p for g in groups for p in g]
    assert sorted(drawn) == sorted(people), "everyone is in exactly one group"
    sizes = sorted(len(g) for g in groups)
    if len(people) % 2:
        assert sizes.count(3) == 1 and set(sizes) <= {2, 3}
    else:
        assert set(sizes) == {2}


def _history(people, partner_of, rounds, seed):
    """Who met whom in ``rounds`` earlier draws (each drawn with the rules)."""
    recent: dict[str, set[str]] = {}
    for r in range(rounds):
        for g in draw_groups(people, partner_of, recent, seed=seed + r + 1):
            for a in g:
                recent.setdefault(a, set()).update(b for b in g if b != a)
    return recent


def _brute_force(people, partner_of, recent):
    """The least (same-partner, repeats) of every grouping, searched independently."""
    best = None

    def walk(rest, trio, acc):
        nonlocal best
        if not rest:
            cost = grouping_cost(acc, partner_of, recent)
            best = cost if best is None or cost < best else best
            return
        x = rest[0]
        for i in range(1, len(rest)):
            remaining = rest[1:i] + rest[i + 1:]
            if len(remaining) != 1:
                walk(remaining, trio, acc + [[x, rest[i]]])
            if trio:
                for j in range(i + 1, len(rest)):
                    walk([r for k, r in enumerate(rest) if k not in (0, i, j)], False,
                         acc + [[x, rest[i], rest[j]]])

    walk(list(people), len(people) % 2 == 1, [])
    return best


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(populations(), st.integers(0, 10_000), st.integers(0, 3))
def test_everyone_in_exactly_one_pair_or_trio(pop, seed, rounds):
    people, partner_of = pop
    recent = _history(people, partner_of, rounds, seed)
    groups = draw_groups(people, partner_of, recent, seed=seed)
    _check_partition(people, groups)


@settings(max_examples=150, deadline=None)
@given(populations(min_people=2, max_people=10, max_partners=4), st.integers(0, 10_000), st.integers(0, 3))
def test_small_draws_are_the_best_possible(pop, seed, rounds):
    """Up to ten people, no grouping has fewer same-partner pairings, nor then fewer repeats."""
    people, partner_of = pop
    recent = _history(people, partner_of, rounds, seed)
    groups = draw_groups(people, partner_of, recent, seed=seed)
    _check_partition(people, groups)
    assert grouping_cost(groups, partner_of, recent) == _brute_force(people, partner_of, recent)


@st.composite
def balanced(draw, min_people=12, max_people=80):
    """Populations where no partner has more than half the people: cross-partner groups exist."""
    n = draw(st.integers(min_people, max_people))
    k = draw(st.integers(3, 12))
    people = [f"p{i:02d}" for i in range(n)]
    partner_of = {p: f"org{draw(st.integers(0, k - 1))}" for p in people}
    counts = {}
    for org in partner_of.values():
        counts[org] = counts.get(org, 0) + 1
    # cap the largest partner at a third of the people by moving the excess to new partners
    cap = n // 3
    seen: dict[str, int] = {}
    for i, p in enumerate(people):
        org = partner_of[p]
        seen[org] = seen.get(org, 0) + 1
        if seen[org] > cap:
            partner_of[p] = f"extra{i % 5}-{i}"
    return people, partner_of


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(balanced(), st.integers(0, 10_000))
def test_no_same_partner_pair_when_avoidable(pop, seed):
    people, partner_of = pop
    groups = draw_groups(people, partner_of, {}, seed=seed)
    _check_partition(people, groups)
    assert grouping_cost(groups, partner_of, {}) == (0, 0)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(balanced(min_people=16), st.integers(0, 10_000), st.integers(1, 3))
def test_no_repeat_within_n_rounds_when_avoidable(pop, seed, rounds):
    """With at most a third of people per partner and at most three earlier rounds, everyone
    still has more than half the others to meet, so a clean grouping exists: it is found."""
    people, partner_of = pop
    recent = _history(people, partner_of, rounds, seed)
    groups = draw_groups(people, partner_of, recent, seed=seed)
    _check_partition(people, groups)
    assert grouping_cost(groups, partner_of, recent) == (0, 0)


def test_unavoidable_same_partner_pairs_are_kept_to_the_minimum():
    # six people of one partner and two of another: at least two same-partner pairs
    partner_of = {f"a{i}": "a" for i in range(6)} | {"b0": "b", "b1": "b"}
    groups = draw_groups(list(partner_of), partner_of, {}, seed=1)
    assert grouping_cost(groups, partner_of, {}) == (2, 0)


def test_same_seed_same_draw_and_seeds_differ():
    people = [f"p{i}" for i in range(30)]
    partner_of = {p: f"o{i % 5}" for i, p in enumerate(people)}
    assert draw_groups(people, partner_of, seed=7) == draw_groups(list(reversed(people)), partner_of, seed=7)
    assert len({json.dumps(draw_groups(people, partner_of, seed=s)) for s in range(10)}) > 1


def test_too_few_people():
    with pytest.raises(ValidationError, match="at least two people"):
        draw_groups(["solo"], {"solo": "x"})


# -- the library ---------------------------------------------------------------------------------


@pytest.fixture
def club(p):
    for slug in ("police", "council", "fire"):
        p.partners.add(slug=slug, name=slug.title())
    people = {"jo-bloggs": "police", "ben-clarke": "police", "sam-lee": "council",
              "priya-shah": "council", "tom-okafor": "fire"}
    for slug, partner in people.items():
        p.people.add(slug=slug, name=slug.replace("-", " ").title(), partner=partner,
                     email=f"{slug}@example.org", phone="01524 000000")
        p.pairs.join(slug, on="2026-01-01")
    return p


def test_draw_saves_a_round_and_is_reproducible(club, tmp_path):
    d = club.pairs.draw("2026-03", seed=7, on="2026-03-01")
    _check_partition(list(club.pairs.eligible()[0]), d.groups)
    assert d.same_partner == 0 and len(d.groups) == 2
    assert club.pairs.history()[0] | {} == {
        "round": "2026-03", "drawn_on": "2026-03-01", "seed": 7, "avoid_rounds": 3,
        "people": 5, "groups": 2, "met": 0, "outputs": 0, "uptake": 0.0}
    with pytest.raises(AlreadyExists, match="--force"):
        club.pairs.draw("2026-03", seed=7)
    again = club.pairs.draw("2026-03", seed=7, force=True, on="2026-03-01")
    assert again.groups == d.groups


def test_paused_and_left_people_are_not_drawn(club):
    club.pairs.leave("ben-clarke")
    club.pairs.pause("priya-shah", "2026-04-01")
    d = club.pairs.draw("2026-03", seed=1, on="2026-03-15")
    drawn = {x for g in d.groups for x in g}
    assert drawn == {"jo-bloggs", "sam-lee", "tom-okafor"}
    assert d.skipped_paused == ["priya-shah"]
    # the pause is over by April
    d = club.pairs.draw("2026-04", seed=1, on="2026-04-01")
    assert "priya-shah" in {x for g in d.groups for x in g}
    club.pairs.join("ben-clarke")
    assert {r["person"]: r["state"] for r in club.pairs.status()}["ben-clarke"] == "in"


def test_no_repeat_across_rounds_in_the_database(club):
    club.partners.add(slug="health", name="Health")
    for i in range(5):
        club.people.add(slug=f"nurse-{i}", name=f"Nurse {i}", partner="health" if i < 2 else "fire")
        club.pairs.join(f"nurse-{i}")
    seen: list[set[frozenset[str]]] = []
    for month in range(1, 4):
        d = club.pairs.draw(f"2026-0{month}", seed=month, avoid_rounds=2)
        pairs = {frozenset(x) for g in d.groups for x in itertools.combinations(g, 2)}
        assert d.repeats == 0 and d.same_partner == 0
        for earlier in seen[-2:]:
            assert not pairs & earlier
        seen.append(pairs)


def test_met_records_uptake_and_output(club):
    d = club.pairs.draw("2026-03", seed=7)
    pair = next(g for g in d.groups if len(g) == 2)
    g = club.pairs.met("2026-03", pair, output="https://example.org/what-we-learned", on="2026-03-20")
    assert g.met and g.output.endswith("learned")
    h = club.pairs.history()[0]
    assert (h["met"], h["uptake"], h["outputs"]) == (1, 0.5, 1)
    assert club.pairs.outputs() == [{"round": "2026-03", "number": g.number, "met_on": "2026-03-20",
                                     "output": "https://example.org/what-we-learned"}]


def test_met_for_a_pair_not_drawn_is_refused(club, db_path, unchanged):
    d = club.pairs.draw("2026-03", seed=7)
    a, b = d.groups[0][0], d.groups[1][0]
    with unchanged(db_path):
        with pytest.raises(Conflict, match="not drawn together"):
            club.pairs.met("2026-03", [a, b])
        with pytest.raises(NotFound, match="round '2026-04'"):
            club.pairs.met("2026-04", d.groups[0])
        with pytest.raises(ValidationError, match="at least two"):
            club.pairs.met("2026-03", [a])


def test_draw_with_fewer_than_two_is_refused(p, db_path, unchanged):
    p.partners.add(slug="police", name="Police")
    p.people.add(slug="jo-bloggs", name="Jo", partner="police")
    p.pairs.join("jo-bloggs")
    with unchanged(db_path):
        with pytest.raises(ValidationError, match="at least two people"):
            p.pairs.draw("2026-03", seed=1)
        with pytest.raises(ValidationError, match="round"):
            p.pairs.draw("March 2026", seed=1)
        with pytest.raises(NotFound):
            p.pairs.join("nobody")


def test_contacts_csv_is_private(club, tmp_path):
    club.pairs.draw("2026-03", seed=7)
    out = tmp_path / "contacts.csv"
    assert club.pairs.write_contacts_csv("2026-03", out) == 5
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = list(csv.DictReader(out.open()))
    assert {r["email"] for r in rows} == {f"{s}@example.org" for s in club.pairs.eligible()[0]}
    with pytest.raises(AlreadyExists):
        club.pairs.write_contacts_csv("2026-03", out)


# -- privacy of what is published ------------------------------------------------------------------


def test_public_database_has_counts_and_outputs_but_no_pairs(demo_path, tmp_path):
    import partnership
    from partnership.reporting.build import publish

    target = tmp_path / "public.db"
    with partnership.open(demo_path) as p:
        publish(p, target, metadata_out=False)
        emails = [r["email"] for r in p.store.query("SELECT email FROM people WHERE email IS NOT NULL")]
        pairings = p.store.query("SELECT round, number, person FROM pairings")
    conn = sqlite3.connect(target)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"pair_rounds", "pair_groups", "pair_uptake", "pair_outputs"} <= names
    assert "pairings" not in names and "pair_members" not in names
    uptake = conn.execute("SELECT round, people, groups, met, uptake FROM pair_uptake").fetchall()
    assert [u[0] for u in uptake] == ["2026-01", "2026-02", "2026-03"]
    assert all(0 <= u[4] <= 1 for u in uptake)
    group_cols = [r[1] for r in conn.execute("PRAGMA table_info(pair_groups)")]
    assert "person" not in group_cols
    conn.close()
    raw = target.read_bytes()
    assert pairings and emails
    for email in emails:
        assert email.encode() not in raw
    # the published change log never names the people of a group
    conn = sqlite3.connect(target)
    summaries = [r[0] for r in conn.execute("SELECT summary FROM changes WHERE entity LIKE 'unmentoring%'")]
    conn.close()
    assert summaries
    people = {r["person"] for r in pairings}
    assert not any(person in s for s in summaries for person in people)


# -- the command line ------------------------------------------------------------------------------


@pytest.fixture
def club_cli(club):
    club.close()
    return club


def test_cli_pairs(club_cli, run, db_path, tmp_path, unchanged):
    r = run("pairs", "draw", "--round", "2026-03", "--seed", "7", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["seed"] == 7 and data["people"] == 5
    first = data["groups"][0]
    r = run("pairs", "met", "2026-03", *first[:2], "--output", "https://example.org/note")
    assert r.exit_code == 0 and "met" in r.stderr
    r = run("pairs", "history", "--json")
    assert json.loads(r.stdout)[0]["met"] == 1
    r = run("pairs", "history")
    assert "2026-03" in r.stdout and "50%" in r.stdout
    r = run("pairs", "history", "--round", "2026-03", "--json")
    assert len(json.loads(r.stdout)["pairs"]) == 2
    r = run("pairs", "contacts", "2026-03")
    assert "jo-bloggs@example.org" in r.stdout
    r = run("pairs", "contacts", "2026-03", "--csv", str(tmp_path / "c.csv"))
    assert r.exit_code == 0 and "jo-bloggs@example.org" not in r.stdout
    r = run("pairs", "members", "--json")
    assert len(json.loads(r.stdout)) == 5
    assert run("pairs", "pause", "sam-lee", "--until", "2030-01-01").exit_code == 0
    assert run("pairs", "leave", "tom-okafor").exit_code == 0
    assert run("pairs", "join", "tom-okafor").exit_code == 0
    with unchanged(db_path):
        r = run("pairs", "draw", "--round", "2026-03", "--seed", "8")
        assert r.exit_code == 1 and "--force" in r.stderr and len(r.stderr.strip().splitlines()) == 1
        other = [x for x in data["groups"][1] if x not in first][0]
        r = run("pairs", "met", "2026-03", first[0], other)
        assert r.exit_code == 1 and "not drawn together" in r.stderr
        r = run("pairs", "draw", "--round", "2026-04", "--seed", "x")
        assert r.exit_code == 1 and "seed" in r.stderr
    r = run("pairs", "draw", "--round", "2026-03", "--seed", "8", "--force")
    assert r.exit_code == 0 and "Round 2026-03" in r.stdout


def test_cli_draw_with_nobody(p, run, db_path, unchanged):
    p.close()
    with unchanged(db_path):
        r = run("pairs", "draw", "--round", "2026-03")
    assert r.exit_code == 1 and "at least two people" in r.stderr
