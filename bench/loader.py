"""Fill a PostgreSQL database with a national-scale registry, by COPY.

    python -m bench.loader --subjects 1000000        # 1M subjects, 3M identifiers, ~5M violations

Creates (or with --reset re-creates) the database, migrates it with Alembic to heads, then streams
subjects, identifiers, links, violations and their join rows through psycopg's `cursor.copy`. Values are
realistic and canonical as registry.identifiers makes them (valid tax codes, E.164 phones, BIN:account,
domains, shops), lookup hashes are the FieldCipher HMACs under the fixed bench key, and sensitive values
(personal IDs, bank accounts) are really AES-GCM encrypted. A sample of every kind is re-parsed to check
that the canonical form is what the parsers produce, so lookups by any spelling are honest.

Shortcut taken: foreign-key triggers are off during COPY (`session_replication_role = replica`, needs a
superuser, as the local `postgres` is); the generator builds every reference itself.
"""

from __future__ import annotations

import argparse
import base64
import functools
import json
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import click
import psycopg
from alembic import command

from registry.cli.common import alembic_config
from registry.fieldcrypt import FieldCipher
from registry.identifiers import banks, fold_name, parse
from registry.models import CATEGORIES
from registry.services.demo import (
    BANK_CODES,
    DETECTING_AGENCIES,
    GIVEN,
    MIDDLE,
    PROVINCES,
    STREETS,
    SURNAMES,
    TRADES,
    WEIGHTS,
)

DEFAULT_URL = "postgresql://postgres@localhost/registry_bench"
# Fixed keys, so the loader and the server it is measured on agree on lookup hashes and ciphertexts.
DATA_KEY = b"registry-bench-data-key-32-bytes"
LOOKUP_KEY = b"registry-bench-lookup-key-32byte"
EPOCH = datetime(2026, 11, 1, tzinfo=UTC)
MOBILE = ("91", "94", "88", "98", "97", "96", "86", "32", "33", "35", "90", "93", "70", "77", "81", "83")
TLDS = ("vn", "com.vn", "com", "shop", "net")
VISIBILITY = ("state",) * 7 + ("public", "owner", "named")
STATUSES = ("suspected", "confirmed", "sanctioned", "sanctioned", "dismissed")
VIOLATIONS_PER_SUBJECT = (1, 1, 2, 2, 3, 4, 5, 6, 8, 18)  # mean 5, a long tail
BATCH = 20_000


def env_keys() -> dict[str, str]:
    """REGISTRY_* key variables for a server reading the bench database."""
    return {
        "REGISTRY_DATA_KEY": base64.b64encode(DATA_KEY).decode(),
        "REGISTRY_LOOKUP_KEY": base64.b64encode(LOOKUP_KEY).decode(),
    }


def _copy_text(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return text.replace("\\", "\\\\")
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


class Table:
    """Rows for one table, sent by COPY in batches."""

    def __init__(
        self, cursor: psycopg.Cursor, name: str, columns: tuple[str, ...], advance: Callable
    ) -> None:
        self.cursor, self.name, self.columns, self.advance = cursor, name, columns, advance
        self.lines: list[str] = []
        self.count = 0

    def add(self, *values: object) -> None:
        self.lines.append("\t".join(map(_copy_text, values)))
        if len(self.lines) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.lines:
            return
        with self.cursor.copy(f"COPY {self.name} ({', '.join(self.columns)}) FROM STDIN") as copy:
            copy.write("\n".join(self.lines) + "\n")
        self.count += len(self.lines)
        self.advance(len(self.lines))
        self.lines.clear()


@dataclass
class Counts:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def tax_code(serial: int, rng: random.Random) -> str:
    """A unique valid 10-digit tax code: two province digits, the serial, the check digit."""
    while True:
        first = f"{rng.randint(1, 99):02d}{serial + 1:07d}"  # + 1: digits 3-9 are never all zero
        r = sum(w * int(d) for w, d in zip(WEIGHTS, first, strict=True)) % 11
        if r != 0:
            return first + str(10 - r)


def check_canonical_forms(cipher: FieldCipher) -> None:
    """The generator's canonical values are exactly what the parsers make of ordinary spellings."""
    rng = random.Random(7)
    for serial in range(200):
        code = tax_code(serial, rng)
        assert parse("tax_code", f"{code[:4]}-{code[4:7]}.{code[7:]}").value == code
        phone = f"{rng.choice(MOBILE)}{serial:07d}"
        assert parse("phone", f"0{phone}").value == f"+84{phone}", phone
    bank = banks.lookup("VCB")
    assert bank and parse("bank_account", "VCB:1000 0000 01").value == f"{bank.bin}:1000000001"
    assert parse("marketplace_shop", "https://shopee.vn/shop/123456").value == "shopee:123456"
    assert parse("personal_id", "001 190 012 345").value == "001190012345"
    assert cipher.lookup_hash("tax_code", "0100109106") == FieldCipher(DATA_KEY, LOOKUP_KEY).lookup_hash(
        "tax_code", "0100109106"
    )


def prepare_database(url: str, reset: bool) -> None:
    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and reset:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or reset:
            admin.execute(f'CREATE DATABASE "{name}"')
    migrate(url)


def migrate(url: str) -> None:
    """Bring a loaded database to the code's schema (new migrations since it was loaded)."""
    command.upgrade(alembic_config(url), "heads")


def _ids(rng: random.Random) -> Callable[[], uuid.UUID]:
    return lambda: uuid.UUID(int=rng.getrandbits(128), version=4)


def generate(
    cursor: psycopg.Cursor, *, subjects: int, seed: int, cipher: FieldCipher, advance: Callable
) -> Counts:
    rng = random.Random(seed)
    new_id = _ids(random.Random(seed + 1))
    agencies = dict(cursor.execute("SELECT code, id FROM agency").fetchall())
    owners = [agencies[code] for code in DETECTING_AGENCIES]
    bank_list = [b for b in (banks.lookup(code) for code in BANK_CODES) if b]
    fold = functools.lru_cache(maxsize=200_000)(fold_name)
    now = EPOCH

    t = {
        "subject": Table(cursor, "subject", (
            "id", "kind", "name", "name_folded", "tax_code", "personal_id_enc", "personal_id_hash",
            "business_registration", "addresses", "province", "created_at", "updated_at",
            "owner_agency_id", "visibility"), advance),
        "identifier": Table(cursor, "identifier", (
            "id", "kind", "value_hash", "value", "value_enc", "display", "attributes",
            "created_by_agency_id", "created_at"), advance),
        "link": Table(cursor, "link", (
            "id", "subject_id", "identifier_id", "confidence", "source", "first_seen", "last_seen",
            "created_at", "owner_agency_id", "visibility"), advance),
        "violation": Table(cursor, "violation", (
            "id", "summary", "categories", "goods_groups", "detected_at", "province", "status",
            "sanction_reference", "fine_vnd", "tax_recovered_vnd", "goods_value_vnd", "created_at",
            "updated_at", "owner_agency_id", "visibility"), advance),
        "violation_subject": Table(cursor, "violation_subject", ("violation_id", "subject_id"), advance),
        "violation_identifier": Table(
            cursor, "violation_identifier", ("violation_id", "identifier_id"), advance),
        "record_share": Table(cursor, "record_share", ("record_type", "record_id", "agency_id"), advance),
    }  # fmt: skip

    def identifier(
        kind: str, value: str, display: str, attributes: dict, owner: int, sensitive: bool
    ) -> uuid.UUID:
        ident = new_id()
        t["identifier"].add(
            ident, kind, cipher.lookup_hash(kind, value), None if sensitive else value,
            cipher.encrypt(value, f"identifier:{kind}") if sensitive else None, display, attributes,
            owner, now,
        )  # fmt: skip
        return ident

    previous: list[tuple[uuid.UUID, int]] = []  # (identifier, owner) of the last subject, for sharing
    for serial in range(subjects):
        owner = rng.choice(owners)
        visibility = rng.choice(VISIBILITY)
        shared_with = rng.choice([a for a in owners if a != owner]) if visibility == "named" else None
        trade, goods = rng.choice(TRADES)
        person = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        individual = rng.random() < 0.35
        suffix = rng.choice(["Phát", "Thịnh", "Gia", "Việt", "Hưng", "An"])
        name = person if individual else f"Công ty TNHH {trade} {person.split()[-1]} {suffix}"
        subject_id = new_id()
        province = rng.choice(PROVINCES)
        own: list[uuid.UUID] = []
        pid_hash = pid_enc = code = None
        if individual:
            birth = f"{rng.choice('0123')}{rng.randint(60, 99):02d}"
            pid = f"{rng.choice(['001', '079', '048', '031'])}{birth}{serial % 1_000_000:06d}"
            pid_hash = cipher.lookup_hash("personal_id", pid)
            pid_enc = cipher.encrypt(pid, "subject:personal_id")
            own.append(identifier("personal_id", pid, "•" * 8 + pid[-4:], {}, owner, True))
        else:
            code = tax_code(serial, rng)
            own.append(identifier("tax_code", code, code, {}, owner, False))
        t["subject"].add(
            subject_id, "individual" if individual else "organisation", name, fold(name), code, pid_enc,
            pid_hash, None, [f"Số {rng.randint(1, 300)} {rng.choice(STREETS)}, {province}"], province,
            now, now, owner, visibility,
        )  # fmt: skip
        phone = f"{rng.choice(MOBILE)}{serial:07d}"
        own.append(
            identifier(
                "phone",
                f"+84{phone}",
                f"+84 {phone[:3]} {phone[3:6]} {phone[6:]}",
                {"region": "VN"},
                owner,
                False,
            )
        )
        third = rng.random()
        if third < 0.45:
            bank = rng.choice(bank_list)
            account = f"{10**9 + serial}"
            attrs = {"bin": bank.bin, "bank_code": bank.code, "bank_name": bank.name,
                     "bank_short_name": bank.short_name, "last4": account[-4:]}  # fmt: skip
            own.append(
                identifier(
                    "bank_account",
                    f"{bank.bin}:{account}",
                    f"{bank.code} ••••{account[-4:]}",
                    attrs,
                    owner,
                    True,
                )
            )
        elif third < 0.8:
            slug = "".join(ch for ch in fold(person) if ch.isalpha())[:12]
            domain = f"{slug}{serial}.{rng.choice(TLDS)}"
            own.append(identifier("domain", domain, domain, {"registrable_domain": domain}, owner, False))
        else:
            shop = str(10**8 + serial)
            own.append(
                identifier(
                    "marketplace_shop",
                    f"shopee:{shop}",
                    f"Shopee {shop}",
                    {"platform": "shopee", "id": shop},
                    owner,
                    False,
                )
            )
        linked = list(own)
        if previous and rng.random() < 0.03:  # shares a phone or an account with the previous seller
            linked.append(rng.choice(previous[1:] or previous)[0])
        previous = [(i, owner) for i in own]
        for identifier_id in linked:
            first = now - timedelta(days=rng.randint(30, 900))
            link_id = new_id()
            t["link"].add(link_id, subject_id, identifier_id, rng.choice((60, 80, 95)),
                          rng.choice(("inspection", "platform_data", "tip")), first,
                          first + timedelta(days=rng.randint(0, 25)), now, owner, visibility)  # fmt: skip
            if shared_with:
                t["record_share"].add("link", link_id, shared_with)
        if shared_with:
            t["record_share"].add("subject", subject_id, shared_with)
        for _ in range(rng.choice(VIOLATIONS_PER_SUBJECT)):
            violation_id = new_id()
            status = rng.choice(STATUSES)
            detected = now - timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 1440))
            v_visibility = "state" if visibility in ("state", "public") else visibility
            t["violation"].add(
                violation_id, f"Kinh doanh {trade.lower()} vi phạm trên sàn thương mại điện tử",
                sorted(set(rng.sample(CATEGORIES, rng.randint(1, 2)))), [goods], detected, province, status,
                f"{rng.randint(1, 999)}/QĐ-XPHC" if status == "sanctioned" else None,
                rng.choice((5, 10, 20, 50)) * 1_000_000 if status == "sanctioned" else 0,
                rng.choice((0, 0, 15_000_000)), rng.randint(1, 500) * 1_000_000, now, now, rng.choice(owners),
                v_visibility,
            )  # fmt: skip
            t["violation_subject"].add(violation_id, subject_id)
            if rng.random() < 0.5:
                t["violation_identifier"].add(violation_id, rng.choice(own))
            if v_visibility == "named" and shared_with:
                t["record_share"].add("violation", violation_id, shared_with)
    for table in t.values():
        table.flush()
    return Counts({name: table.count for name, table in t.items()})


def load(url: str, subjects: int, seed: int = 389, reset: bool = True) -> Counts:
    cipher = FieldCipher(DATA_KEY, LOOKUP_KEY)
    check_canonical_forms(cipher)
    started = time.perf_counter()
    prepare_database(url, reset)
    expected = subjects * (1 + 3 + 3 + 5 + 5 + 2.5)
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET synchronous_commit = off")
        with click.progressbar(length=int(expected), label=f"loading {subjects:,} subjects (rows)") as bar:
            counts = generate(cursor, subjects=subjects, seed=seed, cipher=cipher, advance=bar.update)
        cursor.execute("SET session_replication_role = origin")
        # The rows went in without the ORM, whose listeners mark what the summaries must count again:
        # mark everything, as the migrations do for the data already there.
        cursor.execute("INSERT INTO case_summary_change (day, at) VALUES (NULL, now())")
        cursor.execute(
            "INSERT INTO public_digest_change (violation_id, identifier_id, at) VALUES (NULL, NULL, now())"
        )
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        click.echo("VACUUM ANALYZE ...")
        conn.execute("VACUUM ANALYZE")
    counts.seconds = time.perf_counter() - started
    return counts


def loaded_subjects(url: str) -> int:
    """How many subjects the bench database holds (0 if it does not exist or is not migrated)."""
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            found = conn.execute("SELECT count(*) FROM subject").fetchone()
    except psycopg.Error:
        return 0
    return found[0] if found else 0


def ensure(url: str, subjects: int | None, default: int, reload: bool = False) -> int:
    """Load `subjects` (else what is held, else `default`) unless the database holds that many already
    (and `reload` is not asked): an earlier load is measured as it is. Prints what it did."""
    held = loaded_subjects(url)
    wanted = subjects or held or default
    if reload or held != wanted:
        counts = load(url, wanted)
        print(f"loaded in {counts.seconds:.0f} s:")
        print("\n".join(rows(counts)), flush=True)
    else:
        print(f"{url} already holds {held:,} subjects; not reloaded (--reload to force)", flush=True)
    return wanted


def rows(counts: Counts) -> Iterator[str]:
    for name, count in counts.rows.items():
        yield f"  {name:22} {count:>12,}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=DEFAULT_URL, help="database to (re)create and fill")
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=389)
    parser.add_argument(
        "--keep", action="store_true", help="add to an existing database instead of resetting"
    )
    args = parser.parse_args()
    counts = load(args.url, args.subjects, args.seed, reset=not args.keep)
    print(f"loaded {args.url} in {counts.seconds:.0f} s")
    for line in rows(counts):
        print(line)


if __name__ == "__main__":
    main()
