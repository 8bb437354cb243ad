"""Benchmark of the public dashboard: publish a generated large partnership, serve it, and
time the pages people open, against Datasette's own ``partners`` table page.

    python bench/bench_dashboard.py            # 50 partners, 300 outcomes, 100,000 observations
    python bench/bench_dashboard.py --full     # the issue's size: 200, 2,000, 1,000,000
    options: --samples 5 (fresh servers per page) --requests 100 (warm requests per page)

The server is what ``partnership serve`` runs once the public file is published:
``partnership.reporting.serve.serve`` (``make_datasette`` on the public file, uvicorn),
in its own process; the client is on loopback, one keep-alive connection. The baseline
of every figure is Datasette's own table page of ``partners`` (``/public/partners``) on
the same kind of server, in the same run: it is what plain ``datasette public.db`` would
show for the smallest useful page of the same file, so any extra time is ours.

* home page, first request after start: for each sample a fresh server process (a fresh
  ``make_datasette``: nothing cached) is started and its FIRST request timed, alternately
  ``/`` and ``/public/partners`` (so both pay Datasette's own first-request costs, and
  drift in the machine's load hits both alike). Medians compared; target <= 3x. The first
  home request against the warm partners page is printed too, for information.
* home page, warm: on one long-lived server, after 5 warm-up requests per page, requests
  go round every page in turn (``/``, ``/public/partners``, then each page linked from home)
  so that drift hits all alike. p50 and p95 of ``/`` against the partners page; target
  <= 1x (both).
* every page linked from the home page: found by reading the home page's links, so a new
  link is measured without editing this file. Links of one kind are measured once, by
  their first link on the page: a table, view or canned query page (``/public/is_it_working``,
  ``/public/hours-saved``, the Atom feed...) once per set of query-string keys
  (``?outcome=`` and ``?_sort_desc=`` are two kinds), a row page once per table, and the
  database page. p95 against the partners page's p95; target <= 2x each. The p50 ratio is
  printed beside it, and flagged when only the p95 holds: on a shared machine one stall
  in the baseline's tail can flatter a p95 ratio. Beside them, where Linux gives it, the
  server's CPU time per request of each page (all its threads, read from
  ``/proc/PID/task/*/schedstat`` around each request, mean of the warm requests) against
  the partners page's: time on a core only, so other work on a shared machine does not
  inflate it as it inflates wall-time percentiles.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html.parser
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
from urllib.parse import urlsplit

BASELINE = "/public/partners"
FIRST_TARGET, WARM_TARGET, CANNED_TARGET = 3.0, 1.0, 2.0


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER TARGET"


def generate(path: Path, partners: int, outcomes: int, observations: int) -> None:
    import partnership

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
        conn.executemany("INSERT INTO people (slug, name, partner) VALUES (?, ?, ?)",
                         [(f"person-{i}", f"Person {i}", f"partner-{i}") for i in range(partners)])
        # five needs per outcome (two essential); each stake's contribution meets one of them
        conn.executemany(
            "INSERT INTO needs (outcome, slug, kind, description, amount, unit, essential) "
            "VALUES (?, ?, 'people', ?, ?, 'FTE', ?)",
            [(f"outcome-{o}", f"need-{k}", f"Need {k} of outcome {o}", float(rnd.randint(1, 6)),
              int(k < 2)) for o in range(outcomes) for k in range(5)])
        conn.executemany(
            "INSERT INTO contributions (outcome, partner, kind, description, amount, unit, "
            "additional, meets) VALUES (?, ?, 'people', 'Staff time', ?, 'FTE', ?, ?)",
            [(o, pa, float(rnd.randint(1, 3)), rnd.randrange(2), f"need-{rnd.randrange(5)}")
             for o, pa in sorted(stakes)])
        conn.executemany(
            "INSERT INTO gap_states (outcome, need, state, candidate, since) "
            "VALUES (?, 'need-4', 'seeking', 'Another group', '2026-01-01')",
            [(f"outcome-{o}",) for o in range(0, outcomes, 7)])
        # twenty commitments per partner: kept, kept late, open, overdue, withdrawn
        rows = []
        for i in range(partners):
            for k in range(20):
                due = dt.date(2025, 1, 1) + dt.timedelta(days=rnd.randrange(700))
                fate = rnd.random()
                state, delivered, evidence, withdrawn, reason = "open", None, "", None, ""
                if fate < 0.6 and due <= dt.date(2026, 10, 1):
                    state, evidence = "delivered", "done"
                    delivered = (due + dt.timedelta(days=rnd.randrange(-10, 20))).isoformat()
                elif fate < 0.7:
                    state, withdrawn, reason = "withdrawn", "2026-06-01", "no money"
                rows.append((f"partner-{i}", f"person-{i}", f"Promise {k}",
                             f"outcome-{rnd.randrange(outcomes)}", due.isoformat(), rnd.randrange(2),
                             "2024-12-01", state, delivered, evidence, withdrawn, reason))
        conn.executemany(
            "INSERT INTO commitments (partner, owner, what, outcome, due, additional, created, state, "
            "delivered_on, evidence, withdrawn_on, reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        conn.executemany(
            "INSERT INTO updates (date, partner, outcome, text, author) VALUES (?, ?, ?, ?, ?)",
            [((dt.date(2025, 1, 1) + dt.timedelta(days=rnd.randrange(600))).isoformat(),
              f"partner-{i % partners}", f"outcome-{rnd.randrange(outcomes)}", f"Update number {i}",
              f"person-{i % partners}") for i in range(outcomes)])
        conn.executemany(
            "INSERT INTO meetings (slug, date, minutes, title, chair, status) VALUES (?, ?, 90, ?, ?, ?)",
            [(f"meeting-{i}", (dt.date(2025, 1, 6) + dt.timedelta(days=7 * i)).isoformat(),
              f"Meeting {i}", f"person-{i % partners}", "held" if i % 4 else "cancelled")
             for i in range(80)])
        n_ind = outcomes * 2
        conn.executemany(
            "INSERT INTO indicators (slug, outcome, title, unit, direction, baseline, "
            "baseline_date, target, target_date) "
            "VALUES (?, ?, ?, 'people', 'down', 400, '2020-01-01', 300, '2030-03-31')",
            [(f"ind-{i}", f"outcome-{i // 2}", f"Generated indicator {i}") for i in range(n_ind)])
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


class Server:
    """``partnership.reporting.serve.serve(public_db)`` in a process of its own."""

    def __init__(self, pub: Path) -> None:
        self.port = free_port()
        code = ("from partnership.reporting.serve import serve; "
                f"serve({str(pub)!r}, host='127.0.0.1', port={self.port})")
        self.proc = subprocess.Popen([sys.executable, "-c", code])
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise SystemExit("the server did not start") from None
                time.sleep(0.05)
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def get(self, path: str) -> tuple[float, bytes]:
        """Milliseconds to the whole answer of ``path``, and its body."""
        started = time.perf_counter()
        self.conn.request("GET", path)
        answer = self.conn.getresponse()
        body = answer.read()
        ms = (time.perf_counter() - started) * 1000
        if answer.status != 200:
            self.stop()
            raise SystemExit(f"{path} answered {answer.status}")
        return ms, body

    def cpu_ns(self) -> int | None:
        """CPU time the server process has used so far, all its threads (SQL runs on
        Datasette's threads), in nanoseconds: Linux's per-thread ``schedstat``, which
        counts time on a core only, so other work on a shared machine does not inflate
        it. None where the kernel does not give it."""
        total = 0
        try:
            for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
                try:
                    total += int((task / "schedstat").read_text().split()[0])
                except (FileNotFoundError, ProcessLookupError):
                    continue  # a thread that has just ended
        except OSError:
            return None
        return total or None

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend(v for k, v in attrs if k == "href" and v)


def linked_pages(home: bytes, queries: set[str]) -> list[str]:
    """The pages the home page links to on the site, one link of each kind, in page order:
    a table, view or canned query page per set of query-string keys, a row page per
    table, and the database page."""
    parser = Links()
    parser.feed(home.decode("utf-8"))
    kinds: dict[tuple[str, ...], str] = {}
    for href in parser.hrefs:
        parts = urlsplit(href)
        if parts.netloc or not (parts.path == "/public" or parts.path.startswith("/public/")):
            continue
        segments = parts.path.split("/")[2:]  # after /public
        if len(segments) > 1:
            kind: tuple[str, ...] = (segments[0], "row")
        else:
            keys = sorted({k.split("=")[0] for k in parts.query.split("&") if k})
            kind = (*segments, *keys)
        kinds.setdefault(kind, href)
    return [h for h in kinds.values() if h != BASELINE]


def is_canned(href: str, queries: set[str]) -> bool:
    name = urlsplit(href).path[len("/public/"):]
    return name.removesuffix(".atom") in queries


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="the issue's size (slow to generate)")
    ap.add_argument("--samples", type=int, default=5, help="fresh servers per page for the first request")
    ap.add_argument("--requests", type=int, default=100, help="warm requests per page")
    args = ap.parse_args()
    partners, outcomes, observations = (200, 2000, 1_000_000) if args.full else (50, 300, 100_000)
    import yaml

    import partnership
    from partnership.reporting.build import publish
    from partnership.reporting.metadata import default_metadata_path

    with tempfile.TemporaryDirectory() as tmp:
        work, pub = Path(tmp) / "work.db", Path(tmp) / "public.db"
        t = time.perf_counter()
        generate(work, partners, outcomes, observations)
        gen = time.perf_counter() - t
        t = time.perf_counter()
        with partnership.open(work) as p:
            publish(p, pub)
        pub_s = time.perf_counter() - t
        n_obs = sqlite3.connect(pub).execute("SELECT count(*) FROM observations").fetchone()[0]
        meta = yaml.safe_load(default_metadata_path(pub).read_text(encoding="utf-8")) or {}
        queries = {name for db in (meta.get("databases") or {}).values()
                   for name in (db.get("queries") or {})}
        print(f"generated {partners} partners, {outcomes:,} outcomes, {n_obs:,} observations in "
              f"{gen:.1f} s; published in {pub_s:.1f} s; {len(queries)} canned queries in the metadata")

        # the first request after start: a fresh server for every sample, alternating pages
        first: dict[str, list[float]] = {"/": [], BASELINE: []}
        for _ in range(args.samples):
            for path in ("/", BASELINE):
                server = Server(pub)
                try:
                    first[path].append(server.get(path)[0])
                finally:
                    server.stop()

        # warm: one server, every page in turn
        server = Server(pub)
        try:
            _, home = server.get("/")
            linked = linked_pages(home, queries)
            pages = ["/", BASELINE, *linked]
            for path in pages:
                for _ in range(5):
                    server.get(path)
            warm: dict[str, list[float]] = {path: [] for path in pages}
            cpu: dict[str, int] = {path: 0 for path in pages}
            has_cpu = server.cpu_ns() is not None
            for _ in range(args.requests):
                for path in pages:
                    before = server.cpu_ns() if has_cpu else None
                    warm[path].append(server.get(path)[0])
                    after = server.cpu_ns() if has_cpu else None
                    if before is not None and after is not None:
                        cpu[path] += max(after - before, 0)
        finally:
            server.stop()

    first_home, first_base = statistics.median(first["/"]), statistics.median(first[BASELINE])
    base50, base95 = pct(warm[BASELINE], 50), pct(warm[BASELINE], 95)
    print(f"first request after start (median of {args.samples} fresh servers each, alternating):")
    ratio = first_home / first_base
    print(f"  home page {first_home:8.1f} ms   partners page {first_base:8.1f} ms   "
          f"ratio {ratio:.2f}x (target <= {FIRST_TARGET:g}x) {verdict(ratio <= FIRST_TARGET)}")
    print(f"  for information: first home request against the warm partners page p50 "
          f"({base50:.1f} ms): {first_home / base50:.1f}x")
    print(f"warm ({args.requests} requests per page after 5 warm-up, round-robin over one "
          f"keep-alive connection):")
    base_cpu = cpu[BASELINE] / 1e6 / args.requests if has_cpu else 0.0
    if has_cpu:
        print(f"  server CPU per request (mean over the {args.requests}, all threads) of the "
              f"partners page: {base_cpu:.2f} ms; 'cpu x' is each page's against it")
    print(f"  {'page':56} {'p50 ms':>8} {'p95 ms':>8} {'p50 x':>7} {'p95 x':>7}"
          + (f" {'cpu x':>7}" if has_cpu else ""))
    failing = []
    for path in pages:
        p50, p95 = pct(warm[path], 50), pct(warm[path], 95)
        if path == BASELINE:
            tail = "baseline"
        elif path == "/":
            ok = p50 / base50 <= WARM_TARGET and p95 / base95 <= WARM_TARGET
            tail = f"home page, target <= {WARM_TARGET:g}x {verdict(ok)}"
        else:
            ok = p95 / base95 <= CANNED_TARGET
            tail = f"target p95 <= {CANNED_TARGET:g}x {verdict(ok)}"
            if ok and p50 / base50 > CANNED_TARGET:
                tail += " on p95 only (p50 over 2x)"
            if not ok:
                failing.append(path)
        if path not in ("/", BASELINE) and is_canned(path, queries):
            tail += " (canned query)"
        cpu_x = (f" {cpu[path] / 1e6 / args.requests / base_cpu:6.2f}x"
                 if has_cpu and base_cpu else "")
        print(f"  {path:56} {p50:8.1f} {p95:8.1f} {p50 / base50:6.2f}x {p95 / base95:6.2f}x"
              f"{cpu_x}  {tail}")
    canned = [p for p in linked if is_canned(p, queries)]
    print(f"pages linked from home, one of each kind: {len(linked)} ({len(canned)} canned query "
          f"pages), over target: {', '.join(failing) if failing else 'none'}")


if __name__ == "__main__":
    main()
