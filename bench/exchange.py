"""The partner exchange at scale: the live STIX pull (`GET /exchange/stix`, also what every TAXII page and
the MISP manifest compute) against the export job (`POST /exchange/exports`, services.exchange.export).

Loads (bench.loader, into its own database unless told otherwise) N subjects with their ~5N cases, then
builds the Standing Office's whole export (a state body: it receives every confirmed or sanctioned state
case; bench.loader shares nothing with a foreign partner) each way, each in a process of its own so that
its peak memory (maxrss) is its own:

- live: gather, STIX objects, bundle, serialised (the request's work, without HTTP);
- job: the parts, committed one by one as a worker commits them, then the bundle streamed from them.

Both bundles are hashed: the same records give the same bytes.

    python -m bench.exchange [--subjects 20000] [--url ...] [--reload]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bench import loader
from registry.auth.principal import Principal
from registry.db import make_engine
from registry.models import Agency
from registry.services.exchange import export, sources, stix

DEFAULT_URL = "postgresql://postgres@localhost/registry_bench_exchange"
DEFAULT_SUBJECTS = 20_000
CALLER = "NSC389"


def _principal(session: Session) -> Principal:
    agency = session.scalars(select(Agency).where(Agency.code == CALLER)).one()
    return Principal("bench", agency.code, agency.id, agency.kind, frozenset({"exchange:read"}))


def live(url: str) -> dict[str, float | int | str]:
    with Session(make_engine(url)) as session:
        began = time.perf_counter()
        try:
            found = stix.objects(sources.gather(session, _principal(session), datetime.now(UTC)))
        except sources.PullTooLarge:
            return {"seconds": time.perf_counter() - began, "refused": f"more than {sources.LIVE_MAX:,}"}
        text = stix.serialize(stix.bundle(found))
        seconds = time.perf_counter() - began
    return {"seconds": seconds, "objects": len(found), "bytes": len(text), "sha256": _sha(text)}


def job(url: str) -> dict[str, float | int | str]:
    with Session(make_engine(url)) as session:
        began = time.perf_counter()
        made = export.create(session, principal=_principal(session), since=None)
        session.commit()
        parts = 0

        def commit() -> None:
            nonlocal parts
            parts += 1
            session.commit()
            if parts % 20 == 0:
                print(f"  job: {parts} parts committed", file=sys.stderr, flush=True)

        export.run(session, export_id=made.id, commit=commit)
        built = time.perf_counter() - began
        began = time.perf_counter()
        digest, size = hashlib.sha256(), 0
        for piece in export.bundle_text(session, made):
            digest.update(piece.encode())
            size += len(piece)
        streamed = time.perf_counter() - began
        objects = made.objects
        session.delete(made)
        session.commit()
    return {
        "seconds": built,
        "stream_seconds": streamed,
        "objects": objects,
        "parts": parts,
        "bytes": size,
        "sha256": digest.hexdigest(),
    }


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _run_alone(way: str, url: str) -> dict[str, float | int | str]:
    """One way in a process of its own: its figures, and its peak memory."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.exchange", "--url", url, "--one", way],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--subjects", type=int, help=f"default: what is loaded, else {DEFAULT_SUBJECTS:,}")
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--one", choices=("live", "job"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        figures = (live if args.one == "live" else job)(args.url)
        figures["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(figures))
        return
    wanted = loader.ensure(args.url, args.subjects, DEFAULT_SUBJECTS, args.reload)
    print(f"# partner exchange on {date.today()}, {CALLER}'s whole export, {wanted:,} subjects", flush=True)
    figures = {}
    for way in ("live", "job"):
        print(f"{way}...", flush=True)
        figures[way] = _run_alone(way, args.url)
        if "refused" in figures[way]:
            print(
                f"  live refused in {figures[way]['seconds']:.1f} s: the caller may receive "
                f"{figures[way]['refused']} cases and blocks (sources.LIVE_MAX); the export job is the way",
                flush=True,
            )
            continue
        print(
            f"  {way:4} {figures[way]['seconds']:7.1f} s, {figures[way]['objects']:,} objects, "
            f"{int(figures[way]['bytes']) / 1e6:,.0f} MB of bundle, peak memory "
            f"{figures[way]['maxrss_mb']:,.0f} MB (load average {os.getloadavg()[0]:.1f} on "
            f"{os.cpu_count()} CPUs)",
            flush=True,
        )
    made = figures["job"]
    if "refused" in figures["live"]:
        print(f"  job: {made['parts']} commits, bundle streamed in {made['stream_seconds']:.1f} s")
        return
    print(
        f"  job: {made['parts']} commits, bundle streamed in {made['stream_seconds']:.1f} s; "
        f"time {float(figures['job']['seconds']) / float(figures['live']['seconds']):.2f}x live, memory "
        f"{float(figures['job']['maxrss_mb']) / float(figures['live']['maxrss_mb']):.2f}x live"
    )
    same = figures["live"]["sha256"] == figures["job"]["sha256"]
    print(f"  the same bundle, byte for byte: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
