"""The public range query on a loaded database (bench.loader): what keeping `public_digest` costs and
what it saves, beside computing the digests on every query.

    python -m bench.public_ranges [--url postgresql://postgres@localhost/registry_bench] [--queries 200]

Prints: the first build of the table (every flagged bank account and phone: decrypt, hash, insert); a
range query without pending marks (the common case); a range query after one violation changed (one
mark: the digests of the values it names are checked); and the alternative without the
table, which must read, decrypt and hash every flagged value for each query (a cache could keep its
result only until the next change of any violation).
"""

from __future__ import annotations

import hashlib
import random
import statistics
import time

import click
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from bench.loader import DATA_KEY, DEFAULT_URL, LOOKUP_KEY
from registry.db import make_engine, utcnow
from registry.fieldcrypt import FieldCipher
from registry.models import Identifier, PublicDigest, PublicDigestChange, Violation
from registry.services.public import published, ranges


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _compute_everything(session: Session, cipher: FieldCipher, kind: str, prefix: str) -> list[str]:
    """The table-less way: every flagged value of the kind read, decrypted and hashed."""
    found = session.execute(
        select(Identifier.value, Identifier.value_enc).where(
            Identifier.id.in_(ranges._flagged_ids()), Identifier.kind == kind
        )
    ).all()
    suffixes = []
    for value, enc in found:
        canonical = value if value is not None else cipher.decrypt(enc, f"identifier:{kind}")
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        if digest.startswith(prefix):
            suffixes.append(digest[5:])
    return suffixes


@click.command()
@click.option("--url", default=DEFAULT_URL, show_default=True)
@click.option("--queries", default=200, show_default=True)
@click.option(
    "--publish",
    default=0.1,
    show_default=True,
    help="share of the state violations made public first when none is (the loader publishes none)",
)
def main(url: str, queries: int, publish: float) -> None:
    engine = make_engine(url)
    cipher = FieldCipher(DATA_KEY, LOOKUP_KEY)
    rng = random.Random(389)
    prefixes = [f"{rng.randrange(16**5):05x}" for _ in range(queries)]
    with Session(engine) as session:
        if not session.scalar(select(func.count()).select_from(Violation).where(published())):
            session.execute(
                update(Violation)
                .where(Violation.visibility == "state", func.random() < publish)
                .values(visibility="public")
            )
            session.commit()
        violations = session.scalar(select(func.count()).select_from(Violation))
        public = session.scalar(select(func.count()).select_from(Violation).where(published()))
        print(f"violations {violations}, published {public}")
        session.execute(delete(PublicDigest))
        session.execute(insert(PublicDigestChange).values(at=utcnow()))
        session.commit()
        started = time.perf_counter()
        ranges.bring_up_to_date(session, cipher)
        session.commit()
        built = time.perf_counter() - started
        kept = session.scalar(select(func.count()).select_from(PublicDigest))
        print(f"first build: {kept} digests in {_ms(built)}")

        timings = []
        for number, prefix in enumerate(prefixes):
            started = time.perf_counter()
            ranges.answer(session, cipher=cipher, kind=("phone", "bank_account")[number % 2], prefix=prefix)
            session.commit()
            timings.append(time.perf_counter() - started)
        print(
            f"range query, no pending mark: median {_ms(statistics.median(timings))}, max {_ms(max(timings))}"
        )

        one = session.scalars(select(Violation).where(published()).limit(1)).one()
        timings = []
        for prefix in prefixes[:20]:
            one.status = "confirmed" if one.status == "sanctioned" else "sanctioned"
            session.commit()  # the ORM change: the listener marks the violation, as a request's would
            started = time.perf_counter()
            ranges.answer(session, cipher=cipher, kind="phone", prefix=prefix)
            session.commit()
            timings.append(time.perf_counter() - started)
        print(f"range query after a violation changed (its mark): median {_ms(statistics.median(timings))}")

        timings = []
        for number, prefix in enumerate(prefixes[:20]):
            started = time.perf_counter()
            _compute_everything(session, cipher, ("phone", "bank_account")[number % 2], prefix)
            session.rollback()
            timings.append(time.perf_counter() - started)
        print(f"without the table (read, decrypt, hash all): median {_ms(statistics.median(timings))}")
    engine.dispose()


if __name__ == "__main__":
    main()
