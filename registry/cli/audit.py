"""`registry audit ...`: run the sequencer, verify and export the log, witness another log, manage keys."""

from __future__ import annotations

import base64
import json
import logging
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from registry.audit import partitions as audit_partitions
from registry.audit import retention as audit_retention
from registry.audit.keys import AuditKeyError
from registry.audit.log import AuditLog, iter_leaves
from registry.audit.models import AuditWitness
from registry.audit.note import CosignatureSigner, NoteError, Verifier
from registry.audit.sequencer import SequencerError, latest_checkpoint
from registry.audit.tiles import ArchiveError, TilesSource, archive_log
from registry.audit.verify import (
    DatabaseSource,
    HttpSource,
    VerificationFailed,
    load_state,
    save_state,
    verify_log,
)
from registry.audit.witness import witness_once
from registry.cli.common import emit, session_scope, settings
from registry.db import make_engine, make_sessionmaker
from registry.errors import ValidationFailed
from registry.fieldcrypt import FieldCipher

log = logging.getLogger(__name__)
TOKEN_ENV = "REGISTRY_AUDIT_TOKEN"  # noqa: S105 - the variable name, not a token


def http_session() -> Any:
    """The HTTP client for --url commands (tests replace this with one backed by the Flask test client)."""
    import requests

    return requests.Session()


def _log() -> AuditLog:
    config = settings()
    return AuditLog.from_settings(config, FieldCipher(config.data_key, config.lookup_key))


def _verifiers(keys: tuple[str, ...]) -> list[Verifier]:
    """Each --verifier-key is a key text or a file of keys, one a line (as GET /verifier-key serves them)."""
    texts: list[str] = []
    for key in keys:
        path = Path(key)
        if "+" not in key or path.is_file():
            texts += [line.strip() for line in path.read_text().splitlines() if line.strip()]
        else:
            texts.append(key.strip())
    try:
        return [Verifier(text) for text in texts]
    except NoteError as exc:
        raise click.BadParameter(str(exc), param_hint="--verifier-key") from exc


def _fail(exc: VerificationFailed) -> None:
    click.echo(f"VERIFICATION FAILED: {exc.reason}", err=True)
    click.echo(json.dumps(exc.evidence, indent=2, default=str), err=True)
    raise SystemExit(1)


def _parse_duration(text: str) -> timedelta:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        return (
            timedelta(seconds=int(text[:-1]) * units[text[-1]])
            if text[-1] in units
            else timedelta(seconds=int(text))
        )
    except (ValueError, IndexError) as exc:
        raise click.BadParameter("use e.g. 3600, 90m, 12h or 7d", param_hint="--overlap") from exc


@click.group(help="Tamper-evident audit log (RFC 6962 tree, C2SP signed checkpoints, witnesses).")
def audit() -> None:
    pass


@audit.command(
    help="Assign leaf indexes to committed entries and sign checkpoints, in a loop. Each checkpoint "
    "signed is a log line (tree size, entries added), in REGISTRY_LOG_FORMAT."
)
@click.option("--once", is_flag=True, help="One pass over what is pending, then exit.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between passes.")
@click.option("--batch", default=10_000, show_default=True, help="Entries per checkpoint at most.")
def sequence(once: bool, interval: float, batch: int) -> None:
    config = settings()
    audit_log = AuditLog.from_settings(config, FieldCipher(config.data_key, config.lookup_key))
    engine = make_engine(config.database_url)
    sessions = make_sessionmaker(engine)
    signal.signal(signal.SIGTERM, _interrupt)  # systemd's stop ends the loop as Ctrl-C does
    try:
        while True:
            full = True
            while full:  # drain a backlog without sleeping between full batches
                with sessions() as session, session.begin():
                    try:
                        done = audit_log.sequence(session, batch_size=batch)
                    except (SequencerError, AuditKeyError) as exc:
                        # A log line like the others (JSON in production), then exit status 1.
                        log.error("refusing to sign: %s", exc)
                        raise SystemExit(1) from exc
                full = done is not None and done.added >= batch
                if done is not None:
                    log.info(
                        "tree size %d (+%d)", done.checkpoint.size, done.added,
                        extra={"tree_size": done.checkpoint.size, "added": done.added},
                    )  # fmt: skip
            if once:
                return
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
    finally:
        engine.dispose()


def _interrupt(_signum: int, _frame: Any) -> None:
    """SIGTERM as KeyboardInterrupt: the transaction at hand rolls back and the loop ends cleanly."""
    raise KeyboardInterrupt


@audit.command(
    help="Verify the whole log: signature, consistency with --state, every entry's hash (and, with "
    "--database, every searchable column against its signed entry; with --tiles, every tile of the "
    "archive). Exit 0: verified; 1: verification "
    "failed. Without an earlier --state, a log cut back together with its newest checkpoints looks "
    "intact: the output then says so (NOT CHECKED) and the exit status stays 0. Memory stays small "
    "whatever the log's size (the tree's frontier, not its leaves); with --since-state a run reads only "
    "the entries added since the --state checkpoint."
)
@click.option("--url", help="Base URL of the registry (reads /api/v1/audit).")
@click.option("--database", is_flag=True, help="Read the log's tables directly (REGISTRY_DATABASE_URL).")
@click.option(
    "--tiles",
    help="A tlog-tiles archive (`registry audit archive`): its directory, or the URL a web server "
    "serves it at.",
)
@click.option(
    "--verifier-key",
    "verifier_keys",
    multiple=True,
    required=True,
    help="Log verifier key (name+hexid+base64) or a file of them; repeatable.",
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False),
    help="Last verified checkpoint (JSON): read, then replaced once the log verifies.",
)
@click.option(
    "--since-state",
    "since_state",
    is_flag=True,
    help="Incremental: check only the entries after the --state checkpoint, starting from the tree's "
    "frontier at its size (the checkpoint the database stored with it, or the archive's tiles), "
    "used only once it hashes to the saved root. Entries before it are not read again: run without "
    "this now and then (e.g. monthly) to recheck them. Needs --state; --database or --tiles. Without "
    "a saved state yet, the whole log is verified.",
)
@click.option("--token", envvar=TOKEN_ENV, help=f"Bearer token for --url (or ${TOKEN_ENV}).")
def verify(
    url: str | None,
    database: bool,
    tiles: str | None,
    verifier_keys: tuple[str, ...],
    state_file: str | None,
    since_state: bool,
    token: str | None,
) -> None:
    if [bool(url), database, bool(tiles)].count(True) != 1:
        raise click.UsageError("give exactly one of --url, --database or --tiles")
    if since_state and not state_file:
        raise click.UsageError("--since-state needs --state (the checkpoint to continue from)")
    if since_state and url:
        raise click.UsageError(
            "--since-state needs --database or --tiles: the API serves no tree frontier to start from"
        )
    verifiers = _verifiers(verifier_keys)
    previous = load_state(state_file)

    def run(source: Any) -> None:
        bar: Any = None
        passes = 0

        def advance(done: int, total: int) -> None:
            nonlocal bar, passes
            if done == 0 or bar is None:  # a pass starts: the first verifies, a second finds evidence
                if bar is not None:
                    bar.__exit__(None, None, None)
                passes += 1
                label = "verifying entries" if passes == 1 else "reading them again for the evidence"
                bar = click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)
                bar.__enter__()
            bar.update(done)

        try:
            report = verify_log(source, verifiers, previous, progress=advance, since_previous=since_state)
        except VerificationFailed as exc:
            _fail(exc)
            return
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
        if state_file:
            save_state(state_file, report.note)
        root = base64.b64encode(report.checkpoint.root_hash).decode()
        since = f", extends the saved checkpoint of size {report.previous.size}" if report.previous else ""
        if since_state and report.previous is not None:
            since += f" (--since-state: {report.checkpoint.size - report.start} entries read)"
        click.echo(f"OK: {report.checkpoint.size} entries, root {root}{since}")
        for warning in report.warnings:
            click.echo(f"NOT CHECKED: {warning}", err=True)
        if state_file and report.previous is None:
            click.echo(
                f"No earlier state in {state_file}: this checkpoint is now saved to it, so later runs "
                "with the same --state check that the log only grew.",
                err=True,
            )

    if database:
        with session_scope() as session:
            run(DatabaseSource(session))
    elif tiles:
        try:
            if tiles.startswith(("http://", "https://")):
                run(TilesSource.http(tiles, http_session()))
            else:
                run(TilesSource.directory(tiles))
        except VerificationFailed as exc:  # no directory, or the web server failed
            _fail(exc)
        except OSError as exc:
            raise click.ClickException(f"cannot read the archive: {exc}") from exc
    else:
        try:
            run(HttpSource(url or "", http_session(), token))
        except RuntimeError as exc:
            raise click.ClickException(str(exc)) from exc


@audit.command(
    help="Export the log as JSON lines: the checkpoint, then each entry (leaf index, base64 body); "
    "after retention, from the retention floor (the entries below it are in the tiles archive)."
)
@click.option("--out", type=click.Path(dir_okay=False), help="File to write (default: stdout).")
def export(out: str | None) -> None:
    audit_log = _log()
    with session_scope() as session:
        latest = latest_checkpoint(session)
        if latest is None:
            raise click.ClickException("the log has no signed checkpoint yet")
        handle = open(out, "w") if out else sys.stdout  # noqa: SIM115 - stdout is not ours to close
        try:
            handle.write(json.dumps({"checkpoint": audit_log.cosigned_note(session, latest)}) + "\n")
            floor = audit_retention.retention_floor(session)
            if floor:
                click.echo(
                    f"entries below leaf index {floor} were dropped by retention: they are in the tiles "
                    "archive; exporting from there",
                    err=True,
                )
            for index, body, _ in iter_leaves(session, latest.size, first=floor):
                handle.write(
                    json.dumps({"leaf_index": index, "body": base64.b64encode(body).decode()}) + "\n"
                )
        finally:
            if out:
                handle.close()
    if out:
        click.echo(f"exported {latest.size} entries to {out}", err=True)


@audit.command(
    help="Write or extend a C2SP tlog-tiles archive of the log in --out: the signed checkpoint, hash "
    "tiles and entry bundles, static files a plain web server can serve. Each run adds the entries "
    "since the archive's checkpoint (full tiles are never rewritten) and writes the checkpoint last; "
    "it refuses, changing nothing, when the archive is not a tree this database signed."
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="The archive's directory (made if missing).",
)
@click.option(
    "--size", type=click.IntRange(min=1), help="Archive up to this signed tree size (default: the latest)."
)
def archive(out: str, size: int | None) -> None:
    bar: Any = None

    def advance(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="archiving entries", file=sys.stderr, show_pos=True)
            bar.__enter__()
        bar.update(done)

    with session_scope() as session:
        try:
            done = archive_log(session, Path(out), size, progress=advance)
        except ArchiveError as exc:
            raise click.ClickException(f"not archived: {exc}") from exc
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
    if done.size == done.previous_size:
        click.echo(f"the archive in {out} is up to date: {done.size} entries")
    else:
        click.echo(
            f"archived entries {done.previous_size}..{done.size - 1} in {out}: {done.size} entries, "
            f"{done.files_written} files written, {done.partials_removed} superseded partial tiles removed"
        )


@audit.command(
    help="PostgreSQL: make the audit entries' monthly partitions of the current month and the next "
    "--ahead months (UTC) if missing, and report entries found in the DEFAULT partition. Idempotent; "
    "run before each `audit archive` (its timer does). Exit 1 if a month could not be made. SQLite: "
    "nothing to do."
)
@click.option("--ahead", default=2, show_default=True, type=click.IntRange(0, 24), help="Months ahead.")
def partitions(ahead: int) -> None:
    with session_scope() as session:
        if not audit_partitions.partitioned(session):
            click.echo(
                "audit_entry is not partitioned here (SQLite, or before migration 0027): nothing to do"
            )
            return
        done = audit_partitions.prepare(session, ahead=ahead)
    for name in done.created:
        click.echo(f"created {name}")
    click.echo(f"{len(done.created)} created, {len(done.existing)} already there")
    if done.default_rows:
        months = ", ".join(month.strftime("%Y-%m") for month in done.default_months)
        click.echo(
            f"WARNING: {audit_partitions.DEFAULT_PARTITION} holds {done.default_rows} entries (months: "
            f"{months}): their months had no partition when they were written; such a month's partition "
            "cannot be made and its entries cannot be dropped by retention until they are moved "
            '(deploy/README.md, "The audit archive")',
            err=True,
        )
    for name, why in done.refused.items():
        click.echo(f"NOT CREATED: {name}: {why}", err=True)
    if done.refused:
        raise SystemExit(1)


@audit.command(
    help="PostgreSQL, as the tables' owner: drop the oldest months of audit entries that are past "
    "REGISTRY_AUDIT_RETENTION_MONTHS, each only if the tlog-tiles archive in --archive (verified first, "
    "as `verify --tiles` does) holds every entry of it and a signed checkpoint covers them; each drop is "
    "recorded in audit_retention. Refuses with the reason, dropping nothing more, otherwise (exit 1)."
)
@click.option(
    "--archive",
    "archive_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="The tiles archive (`registry audit archive --out`).",
)
@click.option(
    "--verifier-key",
    "verifier_keys",
    multiple=True,
    help="Log verifier key or file (repeatable); default: the log's own keys from the database.",
)
@click.option("--dry-run", is_flag=True, help="Say what would be dropped; drop nothing.")
def retention(archive_dir: str, verifier_keys: tuple[str, ...], dry_run: bool) -> None:
    config = settings()
    months = config.audit_retention_months
    with session_scope() as session:
        if not audit_partitions.partitioned(session):
            click.echo(
                "audit_entry is not partitioned here (SQLite, or before migration 0027): nothing to do"
            )
            return
        if verifier_keys:
            verifiers = _verifiers(verifier_keys)
        else:
            verifiers = [Verifier(key) for key in _log().keys.verifier_keys(session)]
        due = audit_retention.due(session, months)
        if not due:
            click.echo(f"no month is past retention ({months} months after it ends)")
            return
        try:  # once: the whole archive is read
            archive = audit_retention.verified_archive(session, Path(archive_dir), list(verifiers))
        except audit_retention.RetentionRefused as exc:
            click.echo(f"NOT DROPPED: {exc}", err=True)
            raise SystemExit(1) from exc
    click.echo(f"the archive in {archive_dir} verifies: {archive.size} entries")
    dropped = 0
    for partition in due:
        if dry_run:
            click.echo(f"would drop {partition.name} (its entries are checked when it is dropped)")
            continue
        with session_scope() as session:
            try:
                done = audit_retention.drop_month(session, partition, archive, months)
            except audit_retention.RetentionRefused as exc:
                click.echo(f"NOT DROPPED: {partition.name}: {exc}", err=True)
                raise SystemExit(1) from exc
        dropped += 1
        click.echo(
            f"dropped {done.partition}: {done.entries} entries"
            + (f", leaves up to {done.last_leaf_index}" if done.last_leaf_index is not None else "")
            + f"; the database's log now starts at the checkpoint of size {done.floor}"
        )
    if not dry_run:
        click.echo(f"{dropped} month(s) dropped")


@audit.command("verifier-key", help="Print the log's verifier keys (signing keys first).")
def verifier_key() -> None:
    audit_log = _log()
    with session_scope() as session:
        keys = audit_log.keys.verifier_keys(session) or [audit_log.keys.signers(session)[0].verifier_key]
    click.echo("\n".join(keys))


@audit.command(
    "rotate-key",
    help="New log signing key of the same name; the old one co-signs during --overlap. "
    "Prints the verifier key.",
)
@click.option("--overlap", default="7d", show_default=True, help="How long the old key keeps signing.")
@click.option(
    "--first",
    is_flag=True,
    help="Only make the log's first key, if it has none (installation; harmless to run again).",
)
def rotate_key(overlap: str, first: bool) -> None:
    audit_log = _log()
    with session_scope() as session:
        if first:
            click.echo(audit_log.keys.first(session))
            return
        signer = audit_log.keys.rotate(session, _parse_duration(overlap))
    click.echo(signer.verifier_key)


@audit.command(
    help="Witness a log: verify its checkpoint, check consistency with --state, cosign, hand it in."
)
@click.option("--url", required=True, help="Base URL of the registry whose log to witness.")
@click.option("--log-key", "log_keys", multiple=True, required=True, help="The log's verifier key (or file).")
@click.option(
    "--witness-key",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="File with this witness's PRIVATE+KEY signer key.",
)
@click.option("--state", "state_file", required=True, type=click.Path(dir_okay=False))
@click.option("--token", envvar=TOKEN_ENV, help=f"Bearer token (or ${TOKEN_ENV}).")
def witness(
    url: str, log_keys: tuple[str, ...], witness_key: str, state_file: str, token: str | None
) -> None:
    try:
        signer = CosignatureSigner(Path(witness_key).read_text().strip())
    except NoteError as exc:
        raise click.BadParameter(str(exc), param_hint="--witness-key") from exc
    try:
        done = witness_once(http_session(), url, _verifiers(log_keys), signer, state_file, token)
    except VerificationFailed as exc:
        _fail(exc)
        return
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    since = f", consistent with {done.previous_size}" if done.previous_size is not None else ""
    click.echo(f"cosigned tree size {done.checkpoint.size}{since}")


@audit.group(help="Witnesses whose cosignatures this log accepts.")
def witnesses() -> None:
    pass


@witnesses.command("add", help="Accept cosignatures from a witness (its cosignature/v1 verifier key).")
@click.argument("name")
@click.argument("verifier_key")
def witnesses_add(name: str, verifier_key: str) -> None:
    with session_scope() as session:
        try:
            witness = _log().add_witness(session, name, verifier_key)
        except ValidationFailed as exc:
            raise click.ClickException(exc.detail) from exc
    click.echo(f"witness {witness.name} added")


@witnesses.command("list", help="List accepted witnesses.")
@click.option("--json", "as_json", is_flag=True)
def witnesses_list(as_json: bool) -> None:
    with session_scope() as session:
        rows = [
            {"name": w.name, "verifier_key": w.verifier_key, "added": w.created_at}
            for w in session.scalars(select(AuditWitness).order_by(AuditWitness.id))
        ]
    emit(rows, as_json, "\n".join(f"{w['name']}  {w['verifier_key']}" for w in rows))
