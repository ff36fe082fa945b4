"""The reports' figure of issue 18: "a report of 1,000,000 subjects' data answers in seconds".

Loads (bench.loader, into its own database unless told otherwise) N subjects with their ~5N violations,
then times `services.reports.build` for the Standing Office: the nationwide report of the whole period
the loader spreads its cases over (700 days), one province's and one agency's, whole and each section
alone. The report runs in process on the database (the HTTP layer adds one request's cost, measured by
bench.http). After a load, it first times the summary of the cases (services.reports.summary) counting
every day again, as the first report after a bulk load does, and a plain count of the cases for scale.

    python -m bench.reports [--subjects 1000000] [--url ...] [--reload] [--repeat 3]
    python -m bench --reports                 # the same after the HTTP benchmarks
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench import loader
from registry.auth.principal import Principal
from registry.db import make_engine
from registry.models import Agency, CaseSummaryChange, Violation
from registry.services import reports
from registry.services.reports import summary

DEFAULT_URL = "postgresql://postgres@localhost/registry_bench_reports"
DEFAULT_SUBJECTS = 200_000


def _principal(session: Session, code: str) -> Principal:
    agency = session.scalars(select(Agency).where(Agency.code == code)).one()
    scopes = frozenset({"reports:read", "registry:read"})
    return Principal("bench", agency.code, agency.id, agency.kind, scopes)


def measure(url: str, repeat: int) -> list[str]:
    engine = make_engine(url)
    lines = []
    with Session(engine) as session:  # after a bulk load, the first report counts every day
        began = time.perf_counter()
        counted = summary.bring_up_to_date(session)
        session.commit()
        if counted:
            lines.append(f"summary of the cases counted again in {time.perf_counter() - began:.1f} s")
        session.add(CaseSummaryChange(day=loader.EPOCH.date() - timedelta(days=10)))  # as a write marks
        session.commit()
        began = time.perf_counter()
        summary.bring_up_to_date(session)
        session.commit()
        lines.append(f"one day counted again, as after a write: {time.perf_counter() - began:.2f} s")
        began = time.perf_counter()
        cases = session.scalar(select(func.count()).select_from(Violation))
        lines.append(
            f"for scale: a plain count of the {cases:,} cases takes {time.perf_counter() - began:.2f} s"
        )
    whole = reports.Period(loader.EPOCH.date() - timedelta(days=700), loader.EPOCH.date())
    with Session(engine) as session:
        office = _principal(session, "NSC389")
        half = reports.Period(loader.EPOCH.date() - timedelta(days=182), loader.EPOCH.date())
        scopes = {
            "nationwide": reports.Scope("nationwide"),
            "nationwide 6 months": reports.Scope("nationwide"),
            "province Hà Nội": reports.Scope("province", province="Hà Nội"),
            "agency MOF-CUSTOMS": reports.resolve_scope(session, office, kind="agency", agency="MOF-CUSTOMS"),
        }
        for name, scope in scopes.items():
            period = half if name.endswith("6 months") else whole
            per_section: dict[str, list[float]] = {}
            totals = []
            for _ in range(repeat):
                started = time.perf_counter()  # the whole report, as a request builds it
                reports.build(session, office, period=period, scope=scope, now=datetime.now(UTC))
                totals.append(time.perf_counter() - started)
                for key in reports.SECTIONS:  # each section alone (amounts then counts the totals too)
                    began = time.perf_counter()
                    reports.build(
                        session, office, period=period, scope=scope, now=datetime.now(UTC), sections=[key]
                    )
                    per_section.setdefault(key, []).append(time.perf_counter() - began)
                session.rollback()
            detected = report_detected(session, office, period, scope)
            lines.append(
                f"report {name:20} {statistics.median(totals):6.2f} s (median of {repeat}; "
                f"cases detected {detected:,})"
            )
            lines += [f"  {key:10} {statistics.median(t):6.2f} s" for key, t in per_section.items()]
            lines.append(f"  (load average after it: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    engine.dispose()
    return lines


def report_detected(
    session: Session, principal: Principal, period: reports.Period, scope: reports.Scope
) -> int:
    built = reports.build(
        session, principal, period=period, scope=scope, now=datetime.now(UTC), sections=["cases"]
    )
    return built.section("cases").figure("detected").value


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--subjects", type=int, help=f"default: what is loaded, else {DEFAULT_SUBJECTS:,}")
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    loader.ensure(args.url, args.subjects, DEFAULT_SUBJECTS, args.reload)
    print(f"# reports on {date.today()}", flush=True)
    print("\n".join(measure(args.url, args.repeat)))


if __name__ == "__main__":
    main()
