"""Unmentoring draw: 1,000 members of 40 partners with 50 rounds of history.

Measures, in the same run and alternating:

* ``draw_groups`` (the rules: cross-partner, no repeat within N rounds, one trio) against
  the baseline, a plain ``random.shuffle`` pairing of the same members;
* ``p.pairs.draw(...)`` on a database holding the 1,000 members and 50 saved rounds
  (reading the history, drawing, saving the round) against the same baseline.

Prints medians, the ratios to the baseline, and whether the draw stays under a second.

    python bench/bench_pairs.py [--runs 7] [--members 1000] [--rounds 50] [--avoid-rounds 50]

``--avoid-rounds`` defaults to all 50 rounds of history, the hardest case (the command's
default is 3).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path


def plain_shuffle(people: list[str], seed: int) -> list[list[str]]:
    """The baseline: shuffle and pair neighbours, with no rules at all."""
    order = sorted(people)
    random.Random(seed).shuffle(order)
    groups = [order[i:i + 2] for i in range(0, len(order) - len(order) % 2, 2)]
    if len(order) % 2:
        groups[-1].append(order[-1])
    return groups


def median_time(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--partners", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--avoid-rounds", type=int, default=50)
    parser.add_argument("--full", action="store_true", help="Same as the default (the issue's size).")
    args = parser.parse_args()

    import partnership
    from partnership.health.pairing import draw_groups, grouping_cost

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        p = partnership.create(path, name="Bench", actor="bench")
        setup = time.perf_counter()
        with p.store.transaction():
            for i in range(args.partners):
                p.partners.add(slug=f"org-{i}", name=f"Organisation {i}")
            rows = [(f"person-{i:04d}", f"Person {i}", f"org-{i % args.partners}")
                    for i in range(args.members)]
            p.store.conn.executemany("INSERT INTO people (slug, name, partner) VALUES (?, ?, ?)", rows)
            for slug, _, _ in rows:
                p.pairs.join(slug, on="2020-01-01")
            for r in range(args.rounds):
                p.pairs.draw(f"r{r:03d}", seed=r, avoid_rounds=args.avoid_rounds, on="2021-01-01")
        print(f"setup: {args.members} members, {args.partners} partners, {args.rounds} rounds "
              f"saved in {time.perf_counter() - setup:.1f} s")

        people = [r[0] for r in rows]
        partner_of = {r[0]: r[2] for r in rows}
        recent = p.pairs.recent("r999", args.avoid_rounds)
        known = sum(len(v) for v in recent.values()) // 2
        print(f"history: {known} earlier pairings within the last {args.avoid_rounds} rounds")

        seeds = iter(range(1000, 10**6))
        base = median_time(lambda: plain_shuffle(people, next(seeds)), args.runs)
        pure = median_time(lambda: draw_groups(people, partner_of, recent, seed=next(seeds)), args.runs)
        base2 = median_time(lambda: plain_shuffle(people, next(seeds)), args.runs)
        baseline = min(base, base2)
        groups = draw_groups(people, partner_of, recent, seed=1)
        same, repeats = grouping_cost(groups, partner_of, recent)
        naive_same, naive_repeats = grouping_cost(plain_shuffle(people, 999_999), partner_of, recent)

        def db_draw() -> None:
            p.pairs.draw("r999", seed=next(seeds), avoid_rounds=args.avoid_rounds, force=True,
                         on="2021-01-01")

        p.pairs.draw("r999", seed=1, avoid_rounds=args.avoid_rounds, on="2021-01-01")
        full = median_time(db_draw, args.runs)
        p.close()

    print(f"baseline  random.shuffle pairing:          {baseline * 1000:8.2f} ms  "
          f"({naive_same} same-partner, {naive_repeats} repeats)")
    print(f"draw_groups (rules):                       {pure * 1000:8.2f} ms  x{pure / baseline:,.0f}  "
          f"({same} same-partner, {repeats} repeats)")
    print(f"p.pairs.draw (history + draw + save):      {full * 1000:8.2f} ms  x{full / baseline:,.0f}")
    print(f"under a second: {'yes' if full < 1 else 'NO'}")


if __name__ == "__main__":
    main()
