"""All benchmarks, one command: `python -m bench` (or `make bench`). Prints figures; not tests.

1. bench.loader fills the PostgreSQL database `registry_bench` by COPY: N subjects, 3N identifiers, ~3N
   links, ~5N violations. Skipped when the database holds a load already and --subjects is not given
   (or equals what it holds): an earlier national-scale load is measured as it is.
2. bench.http measures the real server (gunicorn, authorisation, audit) against the raw ceiling with wrk,
   then history and lookup again with --hogs CPU-bound processes beside them (1 by default), and
   prints each target of issue #16 beside its figure, with what else loaded the machine.
3. bench.audit (the audit log's own figures, verification of 1,000,000 entries against its 5 s target),
   unless --skip-audit.
4. with --reports, bench.reports: the reports of issue 18 timed on the same data.
5. with --partitions, bench.partitions: the audit log's reads across 36 monthly partitions (its own
   database, loaded once).

Defaults fit ~15 minutes on a 2-core machine; the national scale is `--subjects 1000000` (see README).
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time

from bench import http, loader, reports

DEFAULT_SUBJECTS = 100_000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=loader.DEFAULT_URL)
    parser.add_argument(
        "--subjects", type=int, help=f"subjects to load (default: what is loaded, else {DEFAULT_SUBJECTS:,})"
    )
    parser.add_argument("--reload", action="store_true", help="re-create and reload the database")
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=http.ROUNDS)
    parser.add_argument(
        "--hogs",
        type=int,
        default=1,
        help="CPU-bound processes beside the servers for a second history and lookup run (0: none)",
    )
    parser.add_argument("--skip-audit", action="store_true")
    parser.add_argument(
        "--reports", action="store_true", help="also time the reports on the loaded data (bench.reports)"
    )
    parser.add_argument(
        "--partitions", action="store_true", help="also time the audit reads across monthly partitions"
    )
    args = parser.parse_args()

    print(f"# registry benchmarks, {time.strftime('%Y-%m-%d %H:%M')} on {platform.node()}", flush=True)
    loader.ensure(args.url, args.subjects, DEFAULT_SUBJECTS, args.reload)
    results = http.run(args.url, args.duration, args.workers, args.repeat, rounds=args.rounds)
    print("\n".join(http.summary(results)), flush=True)
    if args.hogs:  # the second condition: the same two reads with CPU-bound work beside them
        loaded = http.run(
            args.url, args.duration, args.workers, args.repeat, ("history", "lookup"), args.rounds, args.hogs
        )
        print("\n".join(http.summary(loaded, args.hogs)), flush=True)
    if args.reports:
        print("\n".join(reports.measure(args.url, repeat=3)), flush=True)
    if not args.skip_audit:
        subprocess.run([sys.executable, "-m", "bench.audit", "--verify-pg"], check=False)
    if args.partitions:
        subprocess.run([sys.executable, "-m", "bench.partitions"], check=False)


if __name__ == "__main__":
    main()
