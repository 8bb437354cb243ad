"""Benchmark of the public dashboard: publish and serve a generated large partnership.

Measures p50/p95 of the home page and the who-does-what page over N requests from a
client on loopback, as a ratio to the plain Datasette table page of ``partners`` on
the same server (the baseline). Default size runs in well under a minute; ``--full`` is
the issue's size (200 partners, 2,000 outcomes, 1,000,000 observations).

    python bench/bench_dashboard.py [--full] [--requests 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def generate(path: Path, partners: int, outcomes: int, observations: int) -> None:
    import partnership
    from partnership import public

    p = partnership.create(path, name="Generated Partnership", purpose="A large generated partnership")
    rnd = random.Random(7)
    conn = p.store.conn
    with p.store.transaction():
        conn.executemany("INSERT INTO partners (slug, name, kind) VALUES (?, ?, 'council')",
                         [(f"partner-{i}", f"Partner organisation {i}") for i in range(partners)])
        conn.executemany("INSERT INTO outcomes (slug, title, status) VALUES (?, ?, ?)",
                         [(f"outcome-{i}", f"Generated outcome number {i}",
                           rnd.choice(["agreed", "proposed"])) for i in range(outcomes)])
        stakes = {(f"outcome-{o}", f"partner-{rnd.randrange(partners)}")
                  for o in range(outcomes) for _ in range(3)}
        conn.executemany("INSERT INTO stakes (outcome, partner, motivation) VALUES (?, ?, 'why')",
                         sorted(stakes))
        conn.executemany(
            "INSERT INTO contributions (outcome, partner, kind, description, additional) "
            "VALUES (?, ?, 'people', 'Staff time', ?)",
            [(o, pa, rnd.randrange(2)) for o, pa in sorted(stakes)])
        # indicators and observations: the measurement step's tables where it has
        # landed, else stand-ins with the same columns, registered as public
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        if "indicators" not in tables:
            conn.execute("CREATE TABLE indicators (slug TEXT PRIMARY KEY, outcome TEXT, unit TEXT, "
                         "direction TEXT, baseline REAL, target REAL, target_date TEXT)")
            conn.execute("CREATE TABLE observations (id INTEGER PRIMARY KEY, indicator TEXT, "
                         "date TEXT, value REAL)")
            public.PUBLIC_TABLES["indicators"] = ("slug", "outcome", "unit", "direction", "baseline",
                                                  "target", "target_date")
            public.PUBLIC_TABLES["observations"] = ("id", "indicator", "date", "value")
        n_ind = outcomes * 2
        conn.executemany(
            "INSERT INTO indicators (slug, outcome, title, unit, direction, baseline, "
            "baseline_date, target, target_date) "
            "VALUES (?, ?, ?, 'people', 'down', 400, '2020-01-01', 300, '2030-03-31')",
            [(f"ind-{i}", f"outcome-{i // 2}", f"Generated indicator {i}") for i in range(n_ind)])
        if "story_notes" in tables:
            conn.executemany(
                "INSERT INTO story_notes (indicator, date, kind, text) VALUES (?, '2021-06-01', 'why', ?)",
                [(f"ind-{i}", f"Why indicator {i} moved") for i in range(0, n_ind, 5)])
        start = dt.date(2020, 1, 1)
        per = max(observations // n_ind, 1)
        conn.executemany(
            "INSERT INTO observations (indicator, date, value) VALUES (?, ?, ?)",
            ((f"ind-{i}", (start + dt.timedelta(days=7 * k)).isoformat(), 400 - k * 0.1 + rnd.random() * 20)
             for i in range(n_ind) for k in range(per)))
    p.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(port: int, path: str, n: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = []
    for i in range(n + 5):
        t = time.perf_counter()
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            raise SystemExit(f"{path} answered {r.status}")
        if i >= 5:  # warm-up
            times.append((time.perf_counter() - t) * 1000)
    conn.close()
    return times


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="the issue's size (slow to generate)")
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()
    partners, outcomes, observations = (200, 2000, 1_000_000) if args.full else (50, 300, 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        work, pub = Path(tmp) / "work.db", Path(tmp) / "public.db"
        t = time.perf_counter()
        generate(work, partners, outcomes, observations)
        gen = time.perf_counter() - t
        import partnership
        from partnership.reporting.publish import publish

        t = time.perf_counter()
        with partnership.open(work) as p:
            publish(p, pub)
        pub_s = time.perf_counter() - t
        n_obs = sqlite3.connect(pub).execute("SELECT count(*) FROM observations").fetchone()[0]
        port = free_port()
        code = ("import uvicorn; from partnership.reporting.publish import make_datasette; "
                f"uvicorn.run(make_datasette({str(pub)!r}).app(), host='127.0.0.1', port={port}, "
                "log_level='warning')")
        server = subprocess.Popen([sys.executable, "-c", code])
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start")
                    time.sleep(0.2)
            pages = {"partners table (baseline)": "/public/partners",
                     "home page": "/", "who does what": "/public/who_does_what"}
            results = {name: measure(port, path, args.requests) for name, path in pages.items()}
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"generated {partners} partners, {outcomes} outcomes, {n_obs:,} observations in {gen:.1f} s; "
          f"published in {pub_s:.1f} s")
    base50 = pct(results["partners table (baseline)"], 50)
    base95 = pct(results["partners table (baseline)"], 95)
    print(f"{'page':28} {'p50 ms':>8} {'p95 ms':>8} {'p50 ratio':>10} {'p95 ratio':>10}")
    for name, times in results.items():
        p50, p95 = pct(times, 50), pct(times, 95)
        print(f"{name:28} {p50:8.1f} {p95:8.1f} {p50 / base50:9.2f}x {p95 / base95:9.2f}x")
    print(f"({args.requests} requests each over one keep-alive loopback connection; target: "
          f"within 3x the baseline, home page p95 under 100 ms)")


if __name__ == "__main__":
    main()
