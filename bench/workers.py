"""Which gunicorn worker model: sync workers against gthread workers, the same reads, with keep-alive clients.

    python -m bench.workers [--url postgresql://postgres@localhost/registry_bench] [--duration 12]
                            [--workers 4] [--threads 4] [--connections 16,4] [--rounds 2]
                            [--no-wide-sync] [--no-nginx]

Issue 19: "gthread workers can lose half their capacity when keep-alive connections all land on one
worker". A sync worker answers one request a connection and closes it (it speaks no keep-alive), so
every request is handed afresh to whichever worker accepts first. A gthread worker keeps a connection
for as long as the client keeps it alive: the workers that happened to accept the connections serve
them to the end, however busy they are, while the others may idle.

Two servers of the registry run deploy/gunicorn.conf.py as production does (production settings, rate
limits counted in the local Redis, an audit entry committed with every request), with only the worker
model changed on the command line:

  sync-W       --workers W                              (the worker class deploy/gunicorn.conf.py sets)
  sync-WT      --workers W*T: as many requests in flight as gthread (unless --no-wide-sync)
  gthread-WxT  --workers W --worker-class gthread --threads T

and, unless --no-nginx, nginx in front of each with the `upstream` and `location /` blocks of
deploy/nginx/registry.conf (HTTP/1.1 to gunicorn, a pool of 32 idle keep-alive connections per nginx
worker), without TLS. wrk (2 threads) runs bench.http's seller history reads (or --scenario lookup)
against each, with each count of keep-alive connections in --connections (16: as many as the gthread
workers' threads; 4: as many as the workers), the models alternating, --rounds times, each run
after a 3 s warm-up and a CHECKPOINT. Each run prints its throughput, p50 and p99, and how the requests were
shared among the workers, counted per worker process from the Prometheus files each worker writes
(PROMETHEUS_MULTIPROC_DIR, counter_<pid>.db), with the CPU each worker used (/proc). The summary gives
each model's throughput as a share of sync-W's in each round (the machine is shared: compare within a
run), and what else loaded the machine.
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench import http

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
NGINX_CONF = ROOT / "deploy" / "nginx" / "registry.conf"
SCENARIOS = ("history", "lookup")


@dataclass
class Model:
    name: str  # a word nginx takes in an upstream's name
    workers: int
    options: list[str]
    port: int = 0
    proxy_port: int = 0
    metrics: Path = Path()
    arbiter: int = 0


@dataclass
class Run:
    model: str
    via: str  # "direct" or "nginx"
    connections: int
    figures: http.Figures
    per_worker: dict[int, int] = field(default_factory=dict)  # requests answered, by worker pid
    cpu: dict[int, float] = field(default_factory=dict)  # CPU seconds, by worker pid

    def shares(self) -> str:
        total = sum(self.per_worker.values()) or 1
        ordered = sorted(self.per_worker, key=lambda pid: -self.per_worker[pid])
        return " ".join(f"{self.per_worker[pid] / total:.0%}" for pid in ordered)

    def imbalance(self) -> float:
        """The busiest worker's requests over the mean worker's (1.0: evenly shared)."""
        counts = list(self.per_worker.values())
        return max(counts) / statistics.mean(counts) if counts and sum(counts) else 0.0

    def line(self) -> str:
        f = self.figures
        cpu = " ".join(
            f"{self.cpu[pid]:.1f}" for pid in sorted(self.per_worker, key=lambda p: -self.per_worker[p])
        )
        return (
            f"{self.model:10} {self.via:6} {self.connections:3} conn {f.rps:7.1f} req/s  "
            f"p50 {f.p50_ms:6.1f} ms  p99 {f.p99_ms:6.1f} ms  app CPU {f.app_cpu_ms:.2f} ms/request  "
            f"{f.errors} errors   requests per worker {self.shares()} (busiest {self.imbalance():.2f}x "
            f"the mean; CPU s {cpu})"
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def requests_by_worker(folder: Path) -> dict[int, int]:
    """Requests each worker has answered, from its Prometheus file (registry_http_requests_total)."""
    from prometheus_client.multiprocess import MultiProcessCollector

    counts = {}
    for path in folder.glob("counter_*.db"):
        pid = int(path.stem.removeprefix("counter_"))
        counts[pid] = int(
            sum(
                sample.value
                for metric in MultiProcessCollector.merge([str(path)], accumulate=False)
                for sample in metric.samples
                if sample.name == "registry_http_requests_total"
            )
        )
    return counts


def nginx_site(models: list[Model]) -> str:
    """A plain-HTTP server per model, with the deployed upstream and proxy blocks (no TLS, no access log)."""
    deployed = NGINX_CONF.read_text()
    upstream = re.search(r"^upstream registry \{.*?^\}", deployed, re.S | re.M)
    location = re.search(r"^    location / \{.*?^    \}", deployed, re.S | re.M)
    if upstream is None or location is None:
        raise SystemExit(f"{NGINX_CONF}: no `upstream registry` or `location /` block to copy")
    parts = []
    for model in models:
        name = f"registry_{model.name.replace('-', '_')}"
        parts.append(
            upstream.group(0)
            .replace("upstream registry ", f"upstream {name} ")
            .replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{model.port};")
        )
        parts.append(
            f"server {{\n    listen 127.0.0.1:{model.proxy_port};\n    access_log off;\n"
            + location.group(0).replace("http://registry;", f"http://{name};")
            + "\n}"
        )
    return "\n".join(parts) + "\n"


@contextmanager
def nginx(models: list[Model], work: Path) -> Iterator[None]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        print("nginx not found; installing it with apt-get (needs root) ...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "nginx"], check=True)
    folder = work / "nginx"
    folder.mkdir()
    (folder / "site.conf").write_text(nginx_site(models))
    (folder / "nginx.conf").write_text(
        f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\nworker_processes auto;\n"
        "events { worker_connections 1024; }\nhttp {\n"
        f"  client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy;\n"
        f"  fastcgi_temp_path {folder}/fcgi; uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;\n"
        f"  include {folder}/site.conf;\n}}\n"
    )
    process = subprocess.Popen(
        [binary, "-c", str(folder / "nginx.conf"), "-g", "daemon off; user root;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for model in models:
            for _ in range(100):
                try:
                    requests.get(f"http://127.0.0.1:{model.proxy_port}/healthz", timeout=5)
                    break
                except requests.RequestException:
                    if process.poll() is not None:
                        raise SystemExit(
                            "nginx did not start: " + (folder / "error.log").read_text()
                        ) from None
                    time.sleep(0.1)
        yield
    finally:
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout=10)


def measure(
    wrk: str,
    model: Model,
    via: str,
    connections: int,
    paths: list[str],
    bearer: str,
    args: argparse.Namespace,
    work: Path,
) -> Run:
    port = model.port if via == "direct" else model.proxy_port
    http.settle(args.url)
    # Warm-up, not counted: connections, caches, lazy imports.
    http.run_wrk(wrk, "warm-up", port, paths, bearer, 3, work, model.arbiter, connections, warm_up=False)
    workers = http._children(model.arbiter)
    before, cpu_before = requests_by_worker(model.metrics), {pid: http._cpu_seconds([pid]) for pid in workers}
    figures = http.run_wrk(
        wrk, f"{model.name} {via}", port, paths, bearer, args.duration, work, model.arbiter, connections,
        warm_up=False,
    )  # fmt: skip
    after = requests_by_worker(model.metrics)
    per_worker = {pid: after.get(pid, 0) - before.get(pid, 0) for pid in after}
    per_worker = {pid: n for pid, n in per_worker.items() if n or pid in workers}
    cpu = {pid: http._cpu_seconds([pid]) - cpu_before.get(pid, 0.0) for pid in per_worker}
    return Run(model.name, via, connections, figures, per_worker, cpu)


def summary(runs: list[Run]) -> list[str]:
    lines = [http.load_line({"runs": [run.figures for run in runs]})]
    failed = [run for run in runs if run.figures.errors]
    for run in failed:
        lines.append(f"INVALID: {run.model} {run.via}: {run.figures.errors} requests not answered 2xx")
    names = list(dict.fromkeys(run.model for run in runs))
    for via, connections in dict.fromkeys((run.via, run.connections) for run in runs):
        alike = [run for run in runs if run.via == via and run.connections == connections]
        base = [run for run in alike if run.model == names[0]]
        lines.append(f"{via}, {connections} connections:")
        for name in names:
            mine = [run for run in alike if run.model == name]
            ratios = [m.figures.rps / b.figures.rps for b, m in zip(base, mine, strict=True)]
            lines.append(
                f"  {name:10} {statistics.median(r.figures.rps for r in mine):7.1f} req/s, "
                f"{statistics.median(ratios):4.0%} of {names[0]} "
                f"(rounds {', '.join(f'{r:.0%}' for r in ratios)}); "
                f"p50 {statistics.median(r.figures.p50_ms for r in mine):.1f} ms, "
                f"p99 {statistics.median(r.figures.p99_ms for r in mine):.1f} ms (medians); busiest worker "
                f"{max(r.imbalance() for r in mine):.2f}x the mean (worst round)"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=http.DEFAULT_URL)
    parser.add_argument("--duration", type=int, default=12, help="seconds per measured wrk run")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes, both models")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument(
        "--no-wide-sync",
        action="store_true",
        help="leave out sync with workers x threads processes (as many requests in flight as gthread)",
    )
    parser.add_argument(
        "--connections",
        default="16,4",
        help="wrk's keep-alive connections, a run for each of these comma-separated counts (default 16,4: "
        "as many as the workers' threads, and as many as the workers)",
    )
    parser.add_argument("--rounds", type=int, default=2, help="sync/gthread alternations per path")
    parser.add_argument("--scenario", choices=SCENARIOS, default="history")
    parser.add_argument("--no-nginx", action="store_true", help="measure gunicorn directly only")
    args = parser.parse_args()
    counts = [int(part) for part in args.connections.split(",") if part.strip()]

    wrk = http.ensure_wrk()
    http.migrate(args.url)
    load = http.workload(args.url)
    paths = load.history if args.scenario == "history" else load.lookup
    client = http.new_client(args.url)
    storage = http.rate_limit_storage()
    print(
        f"# worker models, {time.strftime('%Y-%m-%d %H:%M %Z')}: {args.scenario}, {args.workers} workers "
        f"(gthread: {args.threads} threads each), {args.connections} keep-alive connections, "
        f"{args.duration} s a run, rate limits in {storage}",
        flush=True,
    )
    wide = args.workers * args.threads
    models = [
        Model(f"sync-{args.workers}", args.workers, []),
        Model(f"sync-{wide}", wide, []),
        Model(
            f"gthread-{args.workers}x{args.threads}",
            args.workers,
            ["--worker-class", "gthread", "--threads", str(args.threads)],
        ),
    ]
    if args.no_wide_sync or wide == args.workers:
        del models[1]
    vias = ["direct"] if args.no_nginx else ["direct", "nginx"]
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="registry-workers-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        env = http.server_env(args.url, work / "var", storage)
        for model in models:
            model.port, model.proxy_port, model.metrics = (
                free_port(),
                free_port(),
                work / f"metrics-{model.name}",
            )
            options = ["-c", str(GUNICORN_CONF), "--max-requests", "0", *model.options]
            model.arbiter = stack.enter_context(
                http.gunicorn(
                    "registry.wsgi:app", model.port, {**env, "PROMETHEUS_MULTIPROC_DIR": str(model.metrics)},
                    model.workers, work / f"{model.name}.log", options,
                )
            )  # fmt: skip
            print(f"{model.name}: gunicorn on port {model.port} (pid {model.arbiter})", flush=True)
        if not args.no_nginx:
            stack.enter_context(nginx(models, work))
            print("nginx in front: " + ", ".join(f"{m.name} on {m.proxy_port}" for m in models), flush=True)
        for number in range(1, args.rounds + 1):
            for connections in counts:
                for via in vias:
                    for model in models:
                        bearer = http.token(client, model.port)  # a fresh one: tokens live 15 minutes here
                        run = measure(wrk, model, via, connections, paths, bearer, args, work)
                        runs.append(run)
                        print(f"round {number}  {run.line()}", flush=True)
    print("\n".join(summary(runs)), flush=True)


if __name__ == "__main__":
    main()
