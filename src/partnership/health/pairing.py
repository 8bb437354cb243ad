"""The unmentoring draw: grouping people into pairs, with one trio when the count is
odd, so nobody is left out. Pure functions, no database: :class:`~.pairs.Pairs` reads
who is opted in and who met whom, calls :func:`draw_groups` and saves the result.

The draw, in order of priority:

1. never puts two people of the same partner together where any other grouping exists;
2. never repeats a pairing from the rounds to avoid where any other exists;
3. is otherwise random, and reproducible from its ``seed``.

How: a seeded shuffle, then a local search that re-partitions two groups at a time
whenever that lowers the cost (a same-partner pairing costs more than every possible
repeat put together, so rule 1 always wins over rule 2), with a few seeded restarts. For
twelve people or fewer, where a local search can get stuck on a knife edge, an exhaustive
search finds the best grouping. With more people the groups have so many alternatives
that the local search reaches a grouping without avoidable clashes (the property tests in
``tests/test_pairs.py`` check both regimes over many seeded draws).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Sequence
from typing import Any

from ..errors import ValidationError

__all__ = ["draw_groups", "grouping_cost", "SAME_PARTNER", "REPEAT"]

#: cost of putting two people of the same partner together (above every possible repeat)
SAME_PARTNER = 10**9
#: cost of repeating a pairing from the last N rounds
REPEAT = 1_000
#: up to this many people the draw searches every grouping when the quick search leaves a clash
EXHAUSTIVE_UP_TO = 12
#: seeded restarts of the local search when a clash is left
RESTARTS = 4


def _pair_cost(a: str, b: str, partner_of: dict[str, str], recent: dict[str, set[str]]) -> int:
    cost = 0
    if partner_of.get(a) is not None and partner_of.get(a) == partner_of.get(b):
        cost += SAME_PARTNER
    if b in recent.get(a, ()):
        cost += REPEAT
    return cost


def _group_cost(group: Sequence[str], partner_of: dict[str, str], recent: dict[str, set[str]]) -> int:
    if len(group) == 2:
        return _pair_cost(group[0], group[1], partner_of, recent)
    return sum(_pair_cost(a, b, partner_of, recent) for a, b in itertools.combinations(group, 2))


def grouping_cost(groups: Iterable[Sequence[str]], partner_of: dict[str, str],
                  recent: dict[str, set[str]]) -> tuple[int, int]:
    """(same-partner pairings, repeated pairings) of a grouping; a trio counts its three."""
    same = repeats = 0
    for g in groups:
        for a, b in itertools.combinations(g, 2):
            if partner_of.get(a) is not None and partner_of.get(a) == partner_of.get(b):
                same += 1
            if b in recent.get(a, ()):
                repeats += 1
    return same, repeats


def _initial(people: list[str], rng: random.Random) -> list[list[str]]:
    order = list(people)
    rng.shuffle(order)
    groups = [order[i:i + 2] for i in range(0, len(order) - len(order) % 2, 2)]
    if len(order) % 2:
        groups[-1].append(order[-1])
    return groups


def _best_split(a: list[str], b: list[str], partner_of: dict[str, str],
                recent: dict[str, set[str]]) -> tuple[int, list[str], list[str]]:
    """The cheapest way to re-partition the people of groups a and b, keeping their sizes."""
    pool = a + b
    best: tuple[int, list[str], list[str]] | None = None
    for chosen in itertools.combinations(range(len(pool)), len(a)):
        if len(a) == len(b) and 0 not in chosen:
            continue  # the same split with the two groups swapped
        ga = [pool[i] for i in chosen]
        gb = [pool[i] for i in range(len(pool)) if i not in chosen]
        cost = _group_cost(ga, partner_of, recent) + _group_cost(gb, partner_of, recent)
        if best is None or cost < best[0]:
            best = (cost, ga, gb)
    assert best is not None
    return best


def _local_search(groups: list[list[str]], partner_of: dict[str, str], recent: dict[str, set[str]],
                  rng: random.Random) -> int:
    costs = [_group_cost(g, partner_of, recent) for g in groups]
    n = len(groups)
    improved = True
    while improved:
        improved = False
        bad = [i for i, c in enumerate(costs) if c]
        rng.shuffle(bad)
        for i in bad:
            if not costs[i]:
                continue
            start = rng.randrange(n)
            for step in range(n):
                j = (start + step) % n
                if j == i:
                    continue
                cost, ga, gb = _best_split(groups[i], groups[j], partner_of, recent)
                if cost < costs[i] + costs[j]:
                    groups[i], groups[j] = ga, gb
                    costs[i] = _group_cost(ga, partner_of, recent)
                    costs[j] = _group_cost(gb, partner_of, recent)
                    improved = True
                    if not costs[i]:
                        break
    return sum(costs)


def _exhaustive(people: list[str], partner_of: dict[str, str], recent: dict[str, set[str]],
                rng: random.Random) -> tuple[int, list[list[str]]]:
    """Every grouping into pairs (and one trio if odd); the cheapest, ties broken by ``rng``."""
    order = list(people)
    rng.shuffle(order)
    best: list[Any] = [None, None]

    def walk(rest: list[str], trio_left: bool, acc: list[list[str]], cost: int) -> None:
        if best[0] is not None and cost >= best[0]:
            return
        if not rest:
            best[0], best[1] = cost, [list(g) for g in acc]
            return
        x, others = rest[0], rest[1:]
        for i, y in enumerate(others):
            remaining = others[:i] + others[i + 1:]
            if len(remaining) != 1:
                pair = [x, y]
                walk(remaining, trio_left, acc + [pair], cost + _group_cost(pair, partner_of, recent))
            if trio_left:
                for k in range(i, len(remaining)):
                    z = remaining[k]
                    trio = [x, y, z]
                    walk(remaining[:k] + remaining[k + 1:], False, acc + [trio],
                         cost + _group_cost(trio, partner_of, recent))

    walk(order, len(order) % 2 == 1, [], 0)
    return best[0], best[1]


def draw_groups(people: Iterable[str], partner_of: dict[str, str],
                recent: dict[str, set[str]] | None = None, *, seed: int = 0) -> list[list[str]]:
    """Group ``people`` into pairs (one trio when odd) following the rules of the module.

    ``partner_of`` maps a person to their organisation; ``recent`` maps a person to the
    people they were grouped with in the rounds to avoid. Same inputs and seed, same groups.
    """
    members = sorted(set(people))
    if len(members) < 2:
        raise ValidationError(
            f"a draw needs at least two people opted in and not paused (found {len(members)}); "
            f"invite more with 'partnership pairs join PERSON'")
    recent = recent or {}
    rng = random.Random(seed)
    best_cost: int | None = None
    best: list[list[str]] = []
    for _attempt in range(RESTARTS + 1):
        groups = _initial(members, rng)
        cost = _local_search(groups, partner_of, recent, rng)
        if best_cost is None or cost < best_cost:
            best_cost, best = cost, groups
        if not best_cost:
            break
    if best_cost and len(members) <= EXHAUSTIVE_UP_TO:
        best_cost, best = _exhaustive(members, partner_of, recent, rng)
    for g in best:
        g.sort()
    best.sort()
    return best

