"""Throughput and latency of the real server against the ceiling, from wrk on the same machine.

    python -m bench.http [--url postgresql://postgres@localhost/registry_bench] [--duration 20]

Starts two gunicorn servers on the bench database: the registry (production settings, bearer tokens
from its own /oauth/token for a client created here, rate limits counted in the local Redis as in
production but set out of the way, an audit entry committed with every request) and bench.ceiling (raw
psycopg, no auth, no audit). Then wrk, with a Lua script picking a random path per request, at 16
connections, after a CHECKPOINT, for:

  history  GET /api/v1/subjects/{id}/history, the seller history of a subject found by tax code
           (the id is what the case system got from its first lookup); ceiling: the same three reads
  lookup   GET /api/v1/identifiers/lookup?kind=&value=, tax codes and phones in everyday spellings
           (dashes, dots, spaces, national or +84 form); ceiling: parse, keyed hash, two reads
  search   GET /api/v1/subjects?q=<name>, names with and without diacritics (ranked, first page)
  lists    GET /api/v1/{subjects,identifiers,links,violations}?per_page=20&page=<1..50>, plain and
           with a filter (province, kind, status, category): pages of the biggest tables, anywhere
           in a list's 1,000-result window

and a 10,000-item screening (POST /api/v1/screenings, mixed kinds), timed request by request.

History and lookup alternate ceiling and registry (--rounds, 3): the ratio is each round's own, and
the summary gives the median, so a host that slows down for a while weighs on both sides.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import redis
import requests

from bench.loader import DATA_KEY, DEFAULT_URL, LOOKUP_KEY, env_keys, migrate
from registry.fieldcrypt import FieldCipher

REGISTRY_PORT = 18389
CEILING_PORT = 18390
AGENCY = "MOF-CUSTOMS"
PURPOSE = "BENCH-389/2026"

LUA = r"""
local paths = {}
local headers = {}
init = function(args)
  for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
  local token = os.getenv("BENCH_TOKEN")
  if token ~= nil and token ~= "" then headers["Authorization"] = "Bearer " .. token end
  local purpose = os.getenv("BENCH_PURPOSE")
  if purpose ~= nil and purpose ~= "" then headers["X-Purpose"] = purpose end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end
request = function()
  return wrk.format("GET", paths[math.random(#paths)], headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


@dataclass
class Figures:
    name: str
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    errors: int
    app_cpu_ms: float = 0.0  # CPU of the server's worker processes per request
    db_cpu_ms: float = 0.0  # CPU of all PostgreSQL processes per request
    other_cpu: float = 0.0  # share of the machine's CPU used by everything but server, PostgreSQL and wrk

    def line(self) -> str:
        return (
            f"{self.name:26} {self.rps:9.1f} req/s   p50 {self.p50_ms:7.1f} ms   p90 {self.p90_ms:7.1f} ms"
            f"   p99 {self.p99_ms:7.1f} ms   CPU/request: app {self.app_cpu_ms:4.2f} ms, "
            f"PostgreSQL {self.db_cpu_ms:4.2f} ms   ({self.requests} requests, {self.errors} errors; "
            f"other processes {self.other_cpu:.0%} of the CPU)"
        )


def _busy_seconds() -> float:
    """CPU time the whole machine spent busy (all cores), from /proc/stat (Linux)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@contextmanager
def cpu_hogs(count: int) -> Iterator[None]:
    """`count` CPU-bound processes (a busy loop each) beside the servers, to measure under load."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes, from /proc (Linux); processes gone meanwhile count 0."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found; installing it with apt-get (needs root) ...", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is required: apt-get install wrk")
    return found


REDIS_URL = "redis://127.0.0.1:6379/14"


def rate_limit_storage() -> str:
    """Where the registry counts rate limits: Redis, as production does, when one answers; else memory.

    REGISTRY_RATE_LIMIT_STORAGE in the environment decides instead (memory:// to compare)."""
    chosen = os.environ.get("REGISTRY_RATE_LIMIT_STORAGE")
    if chosen:
        return chosen
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        print(f"no Redis at {REDIS_URL}: rate limits counted in each worker's memory, not as in production")
        return "memory://"
    return REDIS_URL


def settle(url: str) -> None:
    """CHECKPOINT before a measured run, so one run's dirty pages are not written during the next."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def server_env(url: str, var_dir: Path, limits_storage: str = "memory://") -> dict[str, str]:
    return {
        **os.environ,
        **env_keys(),
        "REGISTRY_ENV": "production",
        "REGISTRY_DATABASE_URL": url,
        "REGISTRY_ISSUER": "https://registry.bench.invalid",  # production wants https; only a claim here
        "REGISTRY_VAR_DIR": str(var_dir),
        "REGISTRY_RATE_LIMIT": "100000000 per minute",
        "REGISTRY_RATE_LIMIT_STORAGE": limits_storage,
        "REGISTRY_TOKEN_LIFETIME": "900",
        "BENCH_DATABASE_URL": url,
    }


@contextmanager
def gunicorn(
    app: str, port: int, env: dict[str, str], workers: int, log: Path, extra: Sequence[str] = ()
) -> Iterator[int]:
    """gunicorn serving `app` until the block ends; `extra`: more command-line options (bench.workers
    gives the deployed configuration file and the worker class). Yields the arbiter's pid."""
    command = [sys.executable, "-m", "gunicorn", *extra, "--workers", str(workers), "--bind",
               f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120", app]  # fmt: skip
    with log.open("w") as handle:
        process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except requests.RequestException:
                if process.poll() is not None:
                    raise SystemExit(f"{app} did not start:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.3)
        yield process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def new_client(url: str) -> tuple[str, str]:
    from registry.auth.clients import create_client
    from registry.db import make_engine, make_sessionmaker

    engine = make_engine(url)
    session = make_sessionmaker(engine)()
    try:
        created = create_client(
            session, agency_code=AGENCY, scopes="registry:read registry:read_sensitive", name="bench"
        )
        session.commit()
        return created.client.client_id, created.secret
    finally:
        session.close()
        engine.dispose()


def token(client: tuple[str, str], port: int = REGISTRY_PORT) -> str:
    response = requests.post(
        f"http://127.0.0.1:{port}/oauth/token",
        data={"grant_type": "client_credentials", "scope": "registry:read registry:read_sensitive"},
        auth=client,
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["access_token"]


def _spell_tax(code: str, rng: random.Random) -> str:
    return rng.choice([code, f"{code[:4]}-{code[4:7]}-{code[7:]}", f"{code[:4]} {code[4:7]} {code[7:]}",
                       f"{code[:4]}.{code[4:7]}.{code[7:]}"])  # fmt: skip


def _spell_phone(e164: str, rng: random.Random) -> str:
    national = "0" + e164[3:]
    return rng.choice([e164, national, f"{national[:4]} {national[4:7]} {national[7:]}",
                       f"+84-{e164[3:6]}-{e164[6:9]}-{e164[9:]}"])  # fmt: skip


@dataclass
class Workload:
    history: list[str]
    ceiling_history: list[str]
    lookup: list[str]
    ceiling_lookup: list[str]
    search: list[str]
    lists: list[str]
    screening: list[dict[str, str]]


def _sample(conn: psycopg.Connection, column: str, kind: str, limit: int) -> list[Any]:
    query = f"SELECT {column} FROM identifier TABLESAMPLE SYSTEM (2) REPEATABLE (7) WHERE kind = %s LIMIT %s"
    return [row[0] for row in conn.execute(query, (kind, limit))]


def _list_pages(rng: random.Random, provinces: list[str]) -> list[str]:
    """Pages of the four biggest lists, plain and filtered, anywhere in their 1,000-result window."""
    from urllib.parse import urlencode

    filters: dict[str, list[dict[str, str]]] = {
        "subjects": [{}, *({"province": p} for p in provinces), {"kind": "individual"}],
        "identifiers": [{}, {"kind": "phone"}, {"kind": "domain"}],
        "links": [{}],
        "violations": [{}, {"status": "confirmed"}, {"category": "COUNTERFEIT"}],
    }
    pages = []
    for _ in range(2000):
        resource = rng.choice(sorted(filters))
        query = {**rng.choice(filters[resource]), "per_page": 20, "page": rng.choice([1, 1, 2, 5, 10, 50])}
        pages.append(f"/api/v1/{resource}?{urlencode(query)}")
    return pages


def workload(url: str, seed: int = 7) -> Workload:
    """Paths for each scenario, from a sample of what is in the database and visible to Customs."""
    from urllib.parse import urlencode

    rng = random.Random(seed)
    cipher = FieldCipher(DATA_KEY, LOOKUP_KEY)
    with psycopg.connect(url) as conn:
        sellers = conn.execute(
            "SELECT id, tax_code, name FROM subject TABLESAMPLE SYSTEM (2) REPEATABLE (7) "
            "WHERE visibility IN ('state', 'public') LIMIT 4000"
        ).fetchall()
        phones = _sample(conn, "value", "phone", 3000)
        domains = _sample(conn, "value", "domain", 2000)
        accounts = [
            cipher.decrypt(blob, "identifier:bank_account")
            for blob in _sample(conn, "value_enc", "bank_account", 1000)
        ]
        provinces = [row[0] for row in conn.execute("SELECT DISTINCT province FROM subject LIMIT 100")]
    with_tax = [(sid, code) for sid, code, _ in sellers if code][:2000]
    history = [f"/api/v1/subjects/{sid}/history" for sid, _ in with_tax]
    lookups = []
    for _, code in with_tax[:1000]:
        lookups.append({"kind": "tax_code", "value": _spell_tax(code, rng)})
    for phone in phones[:1000]:
        lookups.append({"kind": "phone", "value": _spell_phone(phone, rng)})
    rng.shuffle(lookups)
    names = []
    for _, _, name in sellers[:1000]:
        words = name.split()
        names.append(rng.choice([" ".join(words[-3:]), " ".join(words[-2:]).lower(), name]))
    from registry.identifiers import fold_name

    names = [n if rng.random() < 0.5 else fold_name(n) for n in names]
    items: list[dict[str, str]] = []
    for _, code in with_tax[:1000]:
        items.append({"kind": "tax_code", "value": _spell_tax(code, rng)})
    items += [{"value": _spell_phone(p, rng)} for p in phones[:1000]]  # kind guessed
    items += [{"kind": "domain", "value": d.upper()} for d in domains[:500]]
    items += [{"kind": "bank_account", "value": a} for a in accounts[:500]]
    while len(items) < 10_000:  # unknown sellers, and some typing errors
        n = rng.randint(10**8, 10**9 - 1)
        items.append(rng.choice([
            {"kind": "phone", "value": f"09{n % 10**8:08d}"},
            {"kind": "tax_code", "value": f"0{n}"},
            {"kind": "domain", "value": f"unknown-{n}.vn"},
            {"value": f"https://shopee.vn/shop/{n}"},
            {"kind": "bank_account", "value": f"BIDV:{n}"},
        ]))  # fmt: skip
    rng.shuffle(items)
    return Workload(
        history=history,
        ceiling_history=[
            p.replace("/api/v1/subjects/", "/history/").removesuffix("/history") for p in history
        ],
        lookup=[f"/api/v1/identifiers/lookup?{urlencode(q)}" for q in lookups],
        ceiling_lookup=[f"/lookup?{urlencode(q)}" for q in lookups],
        search=[f"/api/v1/subjects?{urlencode({'q': n})}" for n in names],
        lists=_list_pages(rng, sorted({name for name in provinces if name})),
        screening=items,
    )


def run_wrk(
    wrk: str,
    name: str,
    port: int,
    paths: list[str],
    token_value: str,
    duration: int,
    work: Path,
    server: int,
    connections: int = 16,
    warm_up: bool = True,
) -> Figures:
    """wrk against the server on `port` (2 threads, `connections` keep-alive connections), after a 3 s
    warm-up unless told not to (bench.workers warms up itself, to count each worker's requests after it)."""
    script, path_file = work / "bench.lua", work / f"{name.replace(' ', '_')}.paths"
    script.write_text(LUA)
    path_file.write_text("\n".join(paths) + "\n")
    env = {**os.environ, "BENCH_PATHS": str(path_file), "BENCH_TOKEN": token_value, "BENCH_PURPOSE": PURPOSE}
    command = [
        wrk,
        "-t2",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
    ]
    # A short warm-up (connections, caches, lazy imports), not counted.
    if warm_up:
        subprocess.run([*command[:3], "-d3s", *command[4:]], env=env, capture_output=True, check=True)
    app_pids, db_pids = _children(server), _postgres_pids()
    # Per PostgreSQL process: a backend that exits during the run (another session's) would otherwise
    # count its whole CPU time as negative, and "other processes" would exceed the machine (795%).
    app_before, db_before = _cpu_seconds(app_pids), {pid: _cpu_seconds([pid]) for pid in db_pids}
    busy_before, wrk_before, started = _busy_seconds(), _children_cpu(), time.monotonic()
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    app_cpu = _cpu_seconds(app_pids) - app_before
    db_cpu = sum(max(0.0, _cpu_seconds([pid]) - before) for pid, before in db_before.items())
    wrk_cpu, elapsed = _children_cpu() - wrk_before, time.monotonic() - started
    other = (
        max(0.0, _busy_seconds() - busy_before - app_cpu - db_cpu - wrk_cpu) / (elapsed * os.cpu_count())
        if elapsed
        else 0.0
    )
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    data = json.loads(line.removeprefix("BENCH "))
    return Figures(
        name,
        data["requests"] / (data["duration_us"] / 1e6),
        data["p50_us"] / 1000,
        data["p90_us"] / 1000,
        data["p99_us"] / 1000,
        data["requests"],
        data["non_2xx"] + data["socket_errors"],
        app_cpu * 1000 / max(1, data["requests"]),
        db_cpu * 1000 / max(1, data["requests"]),
        other,
    )


def _children_cpu() -> float:
    """CPU time of this process's waited-for children (wrk)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_screenings(items: list[dict[str, str]], token_value: str, repeat: int) -> list[float]:
    timings = []
    headers = {"Authorization": f"Bearer {token_value}", "X-Purpose": PURPOSE}
    for _ in range(repeat):
        started = time.perf_counter()
        response = requests.post(
            f"http://127.0.0.1:{REGISTRY_PORT}/api/v1/screenings",
            json={"items": items},
            headers=headers,
            timeout=120,
        )
        timings.append(time.perf_counter() - started)
        response.raise_for_status()
        assert len(response.json()["results"]) == len(items)
    return timings


SCENARIOS = ("history", "lookup", "search", "lists", "screening")
ROUNDS = 3


def run(
    url: str,
    duration: int,
    workers: int,
    repeat: int,
    only: tuple[str, ...] = SCENARIOS,
    rounds: int = ROUNDS,
    hogs: int = 0,
) -> dict[str, Any]:
    """Each scenario's figures, a list of rounds. History and lookup alternate the ceiling and the
    registry `rounds` times, so that a host slower for a while weighs on both; each round's ratio is
    its own, and the summary gives their median. `hogs` CPU-bound processes run beside both servers
    for the whole measurement (the issue's "with another CPU-bound process running beside it")."""
    wrk = ensure_wrk()
    migrate(url)
    load = workload(url)
    client = new_client(url)
    storage = rate_limit_storage()
    print(f"rate limits counted in {storage}", flush=True)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="registry-bench-") as tmp:
        work = Path(tmp)
        env = server_env(url, work / "var", storage)
        with (
            gunicorn("registry.wsgi:app", REGISTRY_PORT, env, workers, work / "registry.log") as registry,
            gunicorn("bench.ceiling:app", CEILING_PORT, env, workers, work / "ceiling.log") as ceiling,
            cpu_hogs(hogs),
        ):
            if hogs:
                print(f"{hogs} CPU-bound process(es) running beside the servers", flush=True)
            compared = {
                "history": (load.ceiling_history, load.history),
                "lookup": (load.ceiling_lookup, load.lookup),
            }
            alone = {
                "search": ("registry name search", load.search),
                "lists": ("registry list pages", load.lists),
            }

            def measure(name: str, port: int, paths: list[str], authorised: bool) -> Figures:
                settle(url)
                bearer = token(client) if authorised else ""
                server = registry if authorised else ceiling
                figures = run_wrk(wrk, name, port, paths, bearer, duration, work, server)
                results.setdefault(name, []).append(figures)
                return figures

            for scenario, (ceiling_paths, paths) in compared.items():
                if scenario not in only:
                    continue
                for number in range(1, rounds + 1):
                    raw = measure(f"ceiling {scenario}", CEILING_PORT, ceiling_paths, False)
                    print(f"round {number}  {raw.line()}", flush=True)
                    ours = measure(f"registry {scenario}", REGISTRY_PORT, paths, True)
                    ratio = ours.rps / raw.rps
                    print(f"round {number}  {ours.line()}   {ratio:.0%} of the ceiling", flush=True)
            for scenario, (name, paths) in alone.items():
                if scenario in only:
                    print(measure(name, REGISTRY_PORT, paths, True).line(), flush=True)
            if "screening" in only:
                timings = results["screening"] = time_screenings(load.screening, token(client), repeat)
                print(
                    f"{'registry screening 10,000':26} median {statistics.median(timings):.2f} s   "
                    f"max {max(timings):.2f} s   ({', '.join(f'{t:.2f}' for t in timings)})",
                    flush=True,
                )
    return results


# The targets of issue #16, each printed beside its figure.
TARGET_RATIO = 0.60  # seller history and lookup, share of the ceiling's throughput
TARGET_P99_MS = 25.0  # seller history and lookup at 16 connections
TARGET_SEARCH_P99_MS = 50.0
TARGET_SCREENING_S = 1.0


def _mark(met: bool) -> str:
    return "met" if met else "MISSED"


def load_line(results: dict[str, Any], hogs: int = 0) -> str:
    """What else was loading the machine during the runs (the figures are only comparable with it)."""
    others = [
        f.other_cpu
        for runs in results.values()
        if isinstance(runs, list)
        for f in runs
        if isinstance(f, Figures)
    ]
    load = os.getloadavg()
    return (
        f"load: {os.cpu_count()} CPUs; {hogs} CPU-bound process(es) beside the servers; other processes used "
        + (f"{min(others):.0%}-{max(others):.0%} of the CPU during the runs" if others else "n/a")
        + f"; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end"
    )


def summary(results: dict[str, Any], hogs: int = 0) -> list[str]:
    """Each target beside its figure, with the load the figures were measured under. A scenario with
    failed requests is said to be invalid first: its throughput counted answers that were errors."""
    lines = [load_line(results, hogs)]
    for name, runs in results.items():
        failed = [f for f in runs if isinstance(f, Figures) and f.errors] if isinstance(runs, list) else []
        if failed:
            lines.append(
                f"INVALID: {name}: {sum(f.errors for f in failed)} of {sum(f.requests for f in failed)} "
                "requests were not answered 2xx (see the server's log)"
            )
    for what in ("history", "lookup"):
        if f"registry {what}" in results:
            ours, ceiling = results[f"registry {what}"], results[f"ceiling {what}"]
            ratios = [mine.rps / raw.rps for mine, raw in zip(ours, ceiling, strict=True)]
            p99s = [figures.p99_ms for figures in ours]
            ratio, p99 = statistics.median(ratios), statistics.median(p99s)
            rounds = ", ".join(f"{r:.0%}" for r in ratios)
            lines.append(
                f"{what}: registry/ceiling throughput {ratio:.0%} (rounds {rounds}; "
                f"target >= {TARGET_RATIO:.0%}: {_mark(ratio >= TARGET_RATIO)}); p99 {p99:.1f} ms "
                f"(median of rounds, worst {max(p99s):.1f} ms; target < {TARGET_P99_MS:.0f} ms: "
                f"{_mark(p99 < TARGET_P99_MS)})"
            )
    if "registry name search" in results:
        p99 = results["registry name search"][0].p99_ms
        lines.append(
            f"name search: p99 {p99:.1f} ms (target < {TARGET_SEARCH_P99_MS:.0f} ms: "
            f"{_mark(p99 < TARGET_SEARCH_P99_MS)})"
        )
    if "screening" in results:
        median = statistics.median(results["screening"])
        lines.append(
            f"10,000-item screening: median {median:.2f} s (target < {TARGET_SCREENING_S:.0f} s: "
            f"{_mark(median < TARGET_SCREENING_S)})"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers, the same for both servers")
    parser.add_argument("--repeat", type=int, default=5, help="10,000-item screenings to time")
    parser.add_argument(
        "--rounds", type=int, default=ROUNDS, help="ceiling/registry alternations for history and lookup"
    )
    parser.add_argument(
        "--hogs", type=int, default=0, help="CPU-bound processes to run beside the servers (default 0)"
    )
    parser.add_argument(
        "--only",
        default=",".join(SCENARIOS),
        help=f"comma-separated scenarios to run, of {', '.join(SCENARIOS)} (default: all)",
    )
    args = parser.parse_args()
    only = tuple(part.strip() for part in args.only.split(",") if part.strip())
    unknown = sorted(set(only) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    results = run(args.url, args.duration, args.workers, args.repeat, only, args.rounds, args.hogs)
    print("\n".join(summary(results, args.hogs)))


if __name__ == "__main__":
    main()
