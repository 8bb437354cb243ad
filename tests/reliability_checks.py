"""The reliability checks under load and faults, as functions the tests call.

Each function sets up its own files under ``workdir``, runs the commands a user would
(as child processes where a crash or a second writer is the point), and returns its
figures with a list of ``problems`` (empty when the check holds). ``tests/test_rel_faults.py``
runs them at bounded sizes and asserts on the figures; ``bench/reliability.py`` runs them
at larger sizes and prints one line per check (``line``).

    python tests/reliability_checks.py --writer DB K N START_AT   # one writer process
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: a fixed "today" after every date the fault scripts write
TODAY = "2100-01-01"
FIRST_DAY = dt.date(2031, 1, 1)


def partnership_exe() -> str:
    beside = Path(sys.executable).parent / "partnership"
    found = str(beside) if beside.exists() else shutil.which("partnership")
    if not found:
        sys.exit("partnership not found; install the project first (pip install -e .)")
    return found


def env(**extra: str) -> dict[str, str]:
    e = dict(os.environ)
    e.pop("PARTNERSHIP_DB", None)
    e.update({"PARTNERSHIP_TODAY": TODAY, "PARTNERSHIP_ACTOR": "reliability",
              "PYTHONDONTWRITEBYTECODE": "1"})
    e.update(extra)
    return e


def build_demo(path: Path, template: Path | None = None) -> Path:
    """The demo partnership in ``path`` (built in a child so the clock is fixed).

    With ``template`` (a demo built once by this function), ``path`` is a copy of it."""
    if template is not None:
        shutil.copyfile(template, path)
        return path
    subprocess.run([partnership_exe(), "demo", str(path)], env=env(PARTNERSHIP_TODAY="2026-03-01"),
                   check=True, capture_output=True)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return "; ".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def scalar(path: Path, sql: str, params: Any = ()) -> Any:
    conn = sqlite3.connect(str(path))
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


def row_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(str(path))
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# -- concurrent writers ------------------------------------------------------------

def writer_commands(k: int, n: int) -> list[list[str]]:
    """The ``n`` commands of writer ``k``: observations, commitments and updates in turn."""
    commands = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            day = FIRST_DAY + dt.timedelta(days=k * 400 + i)
            commands.append(["observe", "repeat-victims", str(300 + i % 50), "--date", day.isoformat(),
                             "--source", f"rel-writer-{k}"])
        elif kind == 1:
            commands.append(["commit", "county-police", f"rel w{k} c{i}", "--due", "2040-06-01"])
        else:
            commands.append(["update", "post", "county-police", f"rel w{k} u{i}",
                             "--outcome", "fewer-repeat-asb"])
    return commands


def _writer(db: str, k: int, n: int, start_at: float) -> None:
    """One writer process: runs its commands through the CLI (in-process, no start-up)."""
    from click.testing import CliRunner

    from partnership.cli import cli

    runner = CliRunner()
    commands = writer_commands(k, n)
    while time.time() < start_at:
        time.sleep(0.005)
    results = []
    for args in commands:
        t0 = time.perf_counter()
        r = runner.invoke(cli, ["--db", db, *args])
        took = time.perf_counter() - t0
        error = ""
        if r.exit_code != 0:
            error = (r.stderr or r.output or repr(r.exception)).strip().splitlines()[-1:] or [""]
            error = error[0]
        results.append({"args": args[:2], "exit": r.exit_code, "seconds": took, "error": error})
    print(json.dumps({"writer": k, "finished": time.time(), "results": results}))


def concurrent_writers(workdir: Path, processes: int = 3, per_process: int = 60,
                       demo: Path | None = None) -> dict[str, Any]:
    """``processes`` writers at once on a copy of the demo; returns figures and problems."""
    workdir.mkdir(parents=True, exist_ok=True)
    db = build_demo(workdir / "writers.db", demo)
    changes_before = scalar(db, "SELECT count(*) FROM changes")
    start_at = time.time() + 2.0  # every child imported and waiting before the first write
    children = [subprocess.Popen(
        [sys.executable, __file__, "--writer", str(db), str(k), str(per_process), repr(start_at)],
        env=env(PARTNERSHIP_ACTOR=f"writer-{k}"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True) for k in range(processes)]
    reports, problems = [], []
    for child in children:
        out, err = child.communicate(timeout=300)
        if child.returncode != 0:
            problems.append(f"writer exited {child.returncode}: {err.strip()[-300:]}")
            continue
        reports.append(json.loads(out.strip().splitlines()[-1]))
    results = [r for rep in reports for r in rep["results"]]
    finished = max((rep["finished"] for rep in reports), default=start_at)
    failed = [r for r in results if r["exit"] != 0]
    problems += [f"{' '.join(r['args'])} failed: {r['error']}" for r in failed[:5]]
    locked = [r for r in failed if "locked" in r["error"] or "busy" in r["error"]]
    # every write is there
    expected_obs = {k: len([c for c in writer_commands(k, per_process) if c[0] == "observe"])
                    for k in range(processes)}
    for k, count in expected_obs.items():
        found = scalar(db, "SELECT count(*) FROM observations WHERE source = ?", [f"rel-writer-{k}"])
        if found != count:
            problems.append(f"writer {k}: {found} of {count} observations present")
    commits = scalar(db, "SELECT count(*) FROM commitments WHERE what LIKE 'rel w%'")
    updates = scalar(db, "SELECT count(*) FROM updates WHERE text LIKE 'rel w%'")
    want_commits = sum(len([c for c in writer_commands(k, per_process) if c[0] == "commit"])
                       for k in range(processes))
    want_updates = sum(len([c for c in writer_commands(k, per_process) if c[0] == "update"])
                       for k in range(processes))
    if commits != want_commits:
        problems.append(f"{commits} of {want_commits} commitments present")
    if updates != want_updates:
        problems.append(f"{updates} of {want_updates} updates present")
    total = processes * per_process
    log_entries = scalar(db, "SELECT count(*) FROM changes") - changes_before
    if log_entries != total:
        problems.append(f"{log_entries} change-log entries for {total} writes")
    check = integrity(db)
    if check != "ok":
        problems.append(f"integrity_check: {check}")
    seconds = [r["seconds"] for r in results]
    slowest = max(results, key=lambda r: r["seconds"]) if results else None
    elapsed = max(finished - start_at, 1e-9)
    return {
        "processes": processes, "writes": total, "ok": len(results) - len(failed),
        "locked": len(locked), "log_entries": log_entries, "elapsed": elapsed,
        "writes_per_s": total / elapsed,
        "slowest_ms": (slowest["seconds"] * 1000) if slowest else 0.0,
        "slowest_command": " ".join(slowest["args"]) if slowest else "",
        "p95_ms": percentile(seconds, 0.95) * 1000, "problems": problems,
    }


# -- crash safety ----------------------------------------------------------------------

def _kill_at(argv: list[str], delay: float, **kwargs: Any) -> tuple[bool, int]:
    """Run argv, SIGKILL it after ``delay`` s; (killed while running?, return code)."""
    child = subprocess.Popen(argv, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             **kwargs)
    try:
        child.wait(timeout=delay)
        return False, child.returncode
    except subprocess.TimeoutExpired:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        return True, child.returncode


def _timed_run(argv: list[str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(argv, env=env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.strip()}")
    return time.perf_counter() - t0


def crash_import(workdir: Path, repetitions: int = 6, rows: int = 20000, seed: int = 1,
                 demo: Path | None = None) -> dict[str, Any]:
    """Bulk ``observe --csv`` killed at seeded random points: all rows or none, file intact."""
    workdir.mkdir(parents=True, exist_ok=True)
    base = build_demo(workdir / "import-base.db", demo)
    csv_path = workdir / "bulk.csv"
    lines = ["indicator,date,value,source,note"]
    lines += [f"repeat-victims,{(FIRST_DAY + dt.timedelta(days=i)).isoformat()},{300 + i % 97},"
              f"crash-import,row {i}" for i in range(rows)]
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = scalar(base, "SELECT count(*) FROM observations")
    exe = partnership_exe()
    # one undisturbed run: the whole import takes this long (and really imports every row)
    whole = workdir / "import-whole.db"
    shutil.copy(base, whole)
    duration = _timed_run([exe, "--db", str(whole), "observe", "--csv", str(csv_path)])
    full = scalar(whole, "SELECT count(*) FROM observations WHERE source = 'crash-import'")
    problems = [] if full == rows else [f"an undisturbed import wrote {full} of {rows} rows"]
    rng = random.Random(seed)
    killed = survived = 0
    outcomes = {"none": 0, "all": 0}
    for rep in range(repetitions):
        db = workdir / f"import-{rep}.db"
        shutil.copy(base, db)
        was_killed, _ = _kill_at([exe, "--db", str(db), "observe", "--csv", str(csv_path)],
                                 rng.uniform(0.05, duration * 1.3))
        killed += was_killed
        check = integrity(db)
        count = scalar(db, "SELECT count(*) FROM observations WHERE source = 'crash-import'")
        total = scalar(db, "SELECT count(*) FROM observations")
        fk = sqlite3.connect(str(db)).execute("PRAGMA foreign_key_check").fetchall()
        ok = check == "ok" and not fk and count in (0, rows) and total == before + count
        if ok:
            survived += 1
            outcomes["all" if count else "none"] += 1
        else:
            problems.append(f"repetition {rep}: integrity {check}, {count} of {rows} rows, "
                            f"{len(fk)} broken references")
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
    return {"repetitions": repetitions, "killed_mid_run": killed, "survived": survived,
            "rows": rows, "whole_seconds": duration, "outcomes": outcomes, "problems": problems}


def _public_state(path: Path, marker: str) -> str:
    """'torn' unless ``path`` is a whole public database holding ``marker``-or-not."""
    try:
        if Path(path).read_bytes()[:16] != b"SQLite format 3\x00":
            return "torn"
        if integrity(path) != "ok":
            return "torn"
        found = scalar(path, "SELECT count(*) FROM updates WHERE text = ?", [marker])
        scalar(path, "SELECT count(*) FROM site")
    except (sqlite3.Error, OSError):
        return "torn"
    return "new" if found else "stale"


def crash_publish(workdir: Path, repetitions: int = 6, seed: int = 2,
                  demo: Path | None = None) -> dict[str, Any]:
    """``publish`` killed at seeded random points: the public file is the old or the new one."""
    workdir.mkdir(parents=True, exist_ok=True)
    db = build_demo(workdir / "publish-working.db", demo)
    public = workdir / "site" / "public.db"
    public.parent.mkdir(exist_ok=True)
    exe = partnership_exe()
    argv = [exe, "--db", str(db), "publish", str(public)]
    duration = _timed_run(argv)
    rng = random.Random(seed)
    problems: list[str] = []
    killed = survived = 0
    seen = {"old": 0, "new": 0}
    for rep in range(repetitions):
        old = digest(public)
        marker = f"publish marker {rep}"
        subprocess.run([exe, "--db", str(db), "update", "post", "county-police", marker,
                        "--outcome", "fewer-repeat-asb"], env=env(), check=True, capture_output=True)
        was_killed, _ = _kill_at(argv, rng.uniform(0.05, duration * 1.2))
        killed += was_killed
        now = digest(public)
        state = "old" if now == old else _public_state(public, marker)
        working = integrity(db)
        meta_ok = True
        with contextlib.suppress(Exception):
            import yaml

            meta_ok = isinstance(yaml.safe_load(public.with_name("public.metadata.yml").read_text()), dict)
        if state in ("old", "new") and working == "ok" and meta_ok:
            survived += 1
            seen[state] += 1
        else:
            problems.append(f"repetition {rep}: public file {state}, working file {working}, "
                            f"metadata readable {meta_ok}")
    def temps() -> int:
        return len([p for p in public.parent.iterdir() if p.name.endswith(".publishing")])

    abandoned = temps()
    _timed_run(argv)  # the next publish clears what killed ones left behind
    left = temps()
    if left:
        problems.append(f"{left} half-written temporary files left after the next publish")
    if _public_state(public, f"publish marker {repetitions - 1}") != "new":
        problems.append("the publish after the crashes did not produce a whole new file")
    return {"repetitions": repetitions, "killed_mid_run": killed, "survived": survived,
            "whole_seconds": duration, "outcomes": seen, "temp_files_abandoned": abandoned,
            "temp_files_left": left, "problems": problems}


# -- upgrades -----------------------------------------------------------------------------

def upgrade_fixtures(workdir: Path) -> dict[str, Any]:
    """Each tests/fixtures/schema-*.db, copied, opens with this code and keeps every row."""
    import partnership
    from partnership import schema

    workdir.mkdir(parents=True, exist_ok=True)
    exe = partnership_exe()
    known = len(schema.known_migrations())
    results, problems = [], []
    for fixture in sorted(FIXTURES.glob("schema-*.db")):
        db = workdir / fixture.name
        shutil.copy(fixture, db)
        before = row_counts(db)
        version_before = scalar(db, "SELECT count(*) FROM _sqlite_migrations")
        with partnership.open(db) as p:
            version = p.store.schema_version
        after = row_counts(db)
        lost = {t: (n, after.get(t)) for t, n in before.items()
                if t != "_sqlite_migrations" and after.get(t) != n}
        if lost:
            problems.append(f"{fixture.name}: rows changed {lost}")
        if version != known:
            problems.append(f"{fixture.name}: schema {version}, expected {known}")
        runs = {}
        for command in ("check", "doctor", "status", "export"):
            done = subprocess.run([exe, "--db", str(db), command], env=env(), capture_output=True,
                                  text=True)
            runs[command] = done.returncode
            if "Traceback" in done.stderr or done.returncode not in (0, 1) or (
                    command in ("doctor", "export", "status") and done.returncode != 0):
                problems.append(f"{fixture.name}: {command} exited {done.returncode}: "
                                f"{done.stderr.strip()[-200:]}")
        results.append({"fixture": fixture.name, "from_version": version_before, "to_version": version,
                        "rows": sum(n for t, n in before.items() if t != "_sqlite_migrations"),
                        "exit": runs})
    return {"fixtures": len(results), "results": results, "known": known, "problems": problems}


# -- the public site under load ------------------------------------------------------

ENDLESS_SQL = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"

SITE_PATHS = [
    "/", "/public", "/public/partners", "/public/outcomes", "/public/partners.json",
    "/public/partners.csv", "/public/ledger.csv", "/public/who_does_what.json",
    "/public/changes.json?_shape=array", "/public/observations.csv?_size=max", "/public/feed.atom",
    "/public/who-does-what", "/public/is-it-working", "/public/where-are-the-gaps",
    "/public/who-keeps-their-promises", "/public/meetings-held-and-avoided",
    "/public/the-story-behind-the-curve.json", "/public/outcome_status",
    "/public/latest_updates", "/robots.txt",
    "/public.json?sql=select+count(*)+from+changes",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` and its children (the console script may wrap python)."""
    total = 0
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for one in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def site_load(workdir: Path, requests: int = 300, concurrency: int = 8,
              endless: int = 4, demo: Path | None = None) -> dict[str, Any]:
    """Serve the published demo and fire a burst of concurrent requests at it."""
    import concurrent.futures
    import urllib.error
    import urllib.parse
    import urllib.request

    workdir.mkdir(parents=True, exist_ok=True)
    db = build_demo(workdir / "site.db", demo)
    port = free_port()
    server = subprocess.Popen(
        [partnership_exe(), "--db", str(db), "serve", "--port", str(port),
         "--public-db", str(workdir / "site.public.db")],
        env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"

    def get(path: str) -> tuple[str, int, float, str]:
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(base + path, timeout=30) as r:
                body = r.read()
                status = r.status
        except urllib.error.HTTPError as exc:
            body = exc.read()
            status = exc.code
        except OSError as exc:
            return path, 599, time.perf_counter() - t0, str(exc)
        return path, status, time.perf_counter() - t0, body[:400].decode("utf-8", "replace")

    problems: list[str] = []
    try:
        deadline = time.time() + 90
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the server stopped: {server.stderr.read()[-500:]}")
            if get("/robots.txt")[1] == 200:
                break
            if time.time() > deadline:
                raise RuntimeError("the server did not answer within 90 s")
            time.sleep(0.2)
        rss_before = rss_kb(server.pid)
        endless_path = "/public.json?sql=" + urllib.parse.quote(ENDLESS_SQL)
        paths = [SITE_PATHS[i % len(SITE_PATHS)] for i in range(requests - endless)]
        paths += [endless_path] * endless
        random.Random(3).shuffle(paths)
        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            results = list(pool.map(get, paths))
        elapsed = time.perf_counter() - t0
        rss_after = rss_kb(server.pid)
        normal = [r for r in results if r[0] != endless_path]
        slow = [r for r in results if r[0] == endless_path]
        for path, status, _, body in normal:
            if status != 200:
                problems.append(f"{path}: HTTP {status} {body[:120]!r}")
        for _path, status, took, body in slow:
            if status >= 500 or status == 200 or "too long" not in body:
                problems.append(f"endless SQL: HTTP {status} after {took:.1f}s {body[:120]!r}")
        errors_5xx = sum(1 for r in results if r[1] >= 500)
        times = [r[2] for r in normal]
        return {"requests": len(results), "concurrency": concurrency, "elapsed": elapsed,
                "requests_per_s": len(results) / elapsed, "p95_ms": percentile(times, 0.95) * 1000,
                "errors_5xx": errors_5xx, "endless_max_s": max((r[2] for r in slow), default=0.0),
                "endless_status": sorted({r[1] for r in slow}),
                "rss_before_mb": rss_before / 1024, "rss_after_mb": rss_after / 1024,
                "problems": problems[:10]}
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# -- one line per check -------------------------------------------------------------------

def line(name: str, r: dict[str, Any]) -> str:
    verdict = "FAIL" if r.get("problems") else "ok  "
    if name == "writers":
        text = (f"{r['processes']} processes, {r['writes']} writes: {r['ok']} ok, {r['locked']} locked, "
                f"{r['log_entries']} log entries; {r['writes_per_s']:.0f} writes/s, p95 "
                f"{r['p95_ms']:.0f} ms, slowest {r['slowest_ms']:.0f} ms ({r['slowest_command']})")
    elif name in ("crash-import", "crash-publish"):
        what = (f"{r['rows']} rows each, left all {r['outcomes']['all']} / none {r['outcomes']['none']}"
                if name == "crash-import" else
                f"public file old {r['outcomes']['old']} / new {r['outcomes']['new']}, never torn; "
                f"{r['temp_files_abandoned']} abandoned temp files, {r['temp_files_left']} left "
                f"after the next publish")
        text = (f"SIGKILL at random points: {r['survived']}/{r['repetitions']} survived "
                f"({r['killed_mid_run']} killed mid-run, whole run {r['whole_seconds']:.1f}s); {what}")
    elif name == "hostile":
        text = f"{r['examples']} hypothesis examples through the CLI in {r['elapsed']:.0f}s ({r['tests']})"
    elif name == "upgrades":
        text = f"{r['fixtures']} fixtures upgraded to schema {r['known']}: " + ", ".join(
            f"{x['fixture']} (v{x['from_version']}, {x['rows']} rows kept)" for x in r["results"])
    else:
        text = (f"{r['requests']} requests, {r['concurrency']} at a time: {r['requests_per_s']:.0f} req/s, "
                f"p95 {r['p95_ms']:.0f} ms, {r['errors_5xx']} 5xx; endless SQL stopped after "
                f"{r['endless_max_s']:.1f}s (HTTP {r['endless_status']}); server RSS "
                f"{r['rss_before_mb']:.0f} -> {r['rss_after_mb']:.0f} MB")
    out = f"{verdict} {name:<14} {text}"
    for problem in r.get("problems", [])[:5]:
        out += f"\n       - {problem}"
    return out


if __name__ == "__main__":
    if len(sys.argv) != 6 or sys.argv[1] != "--writer":
        sys.exit("usage: python tests/reliability_checks.py --writer DB K N START_AT")
    _writer(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
