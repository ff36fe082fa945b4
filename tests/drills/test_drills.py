"""Failure drills (issue 19), on PostgreSQL as production runs it: processes killed mid-work, a backup
restored. Each one ends with `registry audit verify` over the log.

- Two audit sequencers run at once; one is killed (SIGKILL) while entries arrive: the other takes over
  (the advisory lock is a transaction's, gone with its connection), and the log has no gap.
- A backup (`pg_dump`) restored into a new database verifies against the checkpoint saved before it.
- A gunicorn worker killed in the middle of a write leaves no partial record and no audit entry for that
  request; the next request is served by the worker gunicorn starts in its place.
- PostgreSQL restarted under load (a cluster of the drill's own): requests fail with a clean 503 while it
  is down, and succeed again without a restart of the registry.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select, text

from registry.app import create_app
from registry.audit.models import AuditEntry, AuditLeaf
from registry.models import Subject
from tests.databases import admin_execute, alembic_config
from tests.factories import Actors
from tests.servers import call, free_port, gunicorn, registry, registry_env

# `app`: the CLI's settings configure the process's rule files; the test app's are put back after each.
pytestmark = [pytest.mark.postgres_only, pytest.mark.usefixtures("app")]


@pytest.fixture(scope="module")
def drill_app(settings, fresh_database):
    app = create_app(dataclasses.replace(settings, database_url=fresh_database))
    yield app
    app.extensions["registry"].engine.dispose()


@pytest.fixture
def session(drill_app):
    made = drill_app.extensions["registry"].sessionmaker()
    yield made
    made.close()


@pytest.fixture
def headers(drill_app, session) -> dict[str, str]:
    made = Actors(drill_app, session).headers("MOIT-DMS")
    session.commit()  # the client and its token key are seen by every process from now on
    return made


def _tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} (PostgreSQL's client tools) is needed by the backup drill"
    return found


@dataclasses.dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run(*args: str, env: dict[str, str]) -> Ran:
    """A `registry` command in this process (click's runner): as the shell runs it, without the start-up."""
    from click.testing import CliRunner

    from registry.cli import main

    result = CliRunner().invoke(main, list(args), env=env)
    return Ran(result.exit_code, result.stdout, result.stderr)


def create_subjects(app, headers: dict[str, str], count: int) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    for _ in range(count):
        body = {"kind": "organisation", "name": f"Công ty Diễn tập {uuid.uuid4().hex[:8]}"}
        assert client.post("/api/v1/subjects", json=body, headers=headers).status_code == 201


def wait_sequenced(session, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session.rollback()
        waiting = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .outerjoin(AuditLeaf, AuditLeaf.entry_id == AuditEntry.id)
            .where(AuditLeaf.entry_id.is_(None))
        )
        if waiting == 0:
            return
        time.sleep(0.2)
    pytest.fail("the audit entries were not all sequenced")


def verify(env: dict[str, str], keys: Path, state: Path) -> str:
    result = run("audit", "verify", "--database", "--verifier-key", str(keys), "--state", str(state), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def verifier_keys(env: dict[str, str], tmp_path: Path) -> Path:
    assert run("audit", "sequence", "--once", env=env).returncode == 0
    keys = run("audit", "verifier-key", env=env)
    assert keys.returncode == 0, keys.stderr
    path = tmp_path / "verifier-keys"
    path.write_text(keys.stdout)
    return path


def test_a_sequencer_killed_while_entries_arrive_is_taken_over_without_a_gap(
    drill_app, session, headers, fresh_database, tmp_path
):
    env = registry_env(fresh_database, tmp_path / "var")
    keys = verifier_keys(env, tmp_path)
    state = tmp_path / "state.json"
    verify(env, keys, state)
    first, second = (
        registry("audit", "sequence", "--interval", "0.1", env=env, stderr=subprocess.DEVNULL)
        for _ in range(2)
    )
    try:
        writer = threading.Thread(target=create_subjects, args=(drill_app, headers, 60))
        writer.start()
        time.sleep(1.0)
        first.send_signal(signal.SIGKILL)  # mid-pass, perhaps holding the lock: its connection drops it
        first.wait(timeout=10)
        writer.join(timeout=120)
        wait_sequenced(session)
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=10)
    entries = session.scalar(select(func.count()).select_from(AuditEntry))
    leaves = session.execute(
        select(func.count(), func.min(AuditLeaf.leaf_index), func.max(AuditLeaf.leaf_index))
    ).one()
    assert leaves[0] == entries and leaves[1] == 0 and leaves[2] == entries - 1  # one leaf each, no gap
    assert f"OK: {entries} entries" in verify(env, keys, state)  # and the log only grew since the state


def test_a_backup_restored_verifies_against_the_checkpoint_saved_before_it(
    drill_app, session, headers, fresh_database, tmp_path
):
    env = registry_env(fresh_database, tmp_path / "var")
    keys = verifier_keys(env, tmp_path)
    create_subjects(drill_app, headers, 5)
    assert run("audit", "sequence", "--once", env=env).returncode == 0
    state = tmp_path / "state-before-backup.json"
    verify(env, keys, state)
    dump = tmp_path / "registry.dump"
    result = subprocess.run(  # noqa: S603
        [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={dump}", fresh_database],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    create_subjects(drill_app, headers, 3)  # the log goes on after the backup
    base, _, name = fresh_database.rpartition("/")
    restored = f"{base}/{name}_restored"
    admin_execute(f"{base}/postgres", f'DROP DATABASE IF EXISTS "{name}_restored"')
    admin_execute(f"{base}/postgres", f'CREATE DATABASE "{name}_restored"')
    try:
        result = subprocess.run(  # noqa: S603
            [_tool("pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={restored}", str(dump)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        restored_env = registry_env(restored, tmp_path / "restored-var")
        checked = verify(restored_env, keys, tmp_path / "state-before-backup.json")
        assert "extends the saved checkpoint" in checked or "OK:" in checked
    finally:
        admin_execute(f"{base}/postgres", f'DROP DATABASE IF EXISTS "{name}_restored" WITH (FORCE)')


def test_a_worker_killed_mid_write_leaves_no_partial_record(
    drill_app, session, headers, fresh_database, tmp_path
):
    env = registry_env(fresh_database, tmp_path / "var")
    name = f"Công ty Dở dang {uuid.uuid4().hex[:8]}"
    request_id = f"drill{uuid.uuid4().hex}"
    engine = drill_app.extensions["registry"].engine
    with gunicorn(env, tmp_path, workers=1) as server:
        (worker,) = server.workers()
        with engine.connect() as blocker:
            # The request inserts its subject, then waits to insert its audit entry: a write half done.
            blocker.execute(text("LOCK TABLE audit_entry IN SHARE MODE"))
            answers: list[int] = []
            sender = threading.Thread(
                target=lambda: answers.append(
                    _post(server.base, {**headers, "X-Request-Id": request_id}, name)
                )
            )
            sender.start()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                waiting = blocker.execute(
                    text(
                        "SELECT count(*) FROM pg_locks "
                        "WHERE NOT granted AND relation = 'audit_entry'::regclass"
                    )
                ).scalar()
                if waiting:
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the request never reached its audit entry")
            os.kill(worker, signal.SIGKILL)
            blocker.rollback()
        sender.join(timeout=30)
        assert answers and answers[0] != 201  # the connection was cut: no answer, or gunicorn's error
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Subject).where(Subject.name == name)) == 0
        assert (
            session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.request_id == request_id)
            )
            == 0
        )
        # The next worker serves the next write, entry and all.
        again = f"{request_id}b"
        assert _post(server.base, {**headers, "X-Request-Id": again}, name) == 201
        session.rollback()
        assert (
            session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.request_id == again))
            == 1
        )


def _post(base: str, headers: dict[str, str], name: str) -> int:
    try:
        status, _ = call(
            f"{base}/api/v1/subjects",
            method="POST",
            headers={**headers, "Content-Type": "application/json"},
            body=json.dumps({"kind": "organisation", "name": name}).encode(),
        )
    except OSError:
        return 0
    return status


# -- PostgreSQL restarted under load: a cluster of the drill's own, so that the suite's is not touched ----


@pytest.fixture
def own_cluster(tmp_path):
    """A PostgreSQL cluster made for the drill with Debian's tools (as root), dropped at the end."""
    if os.geteuid() != 0 or not shutil.which("pg_createcluster"):
        if os.environ.get("CI") == "true":
            pytest.fail("the restart drill needs root and Debian's pg_createcluster in CI")
        pytest.skip("the restart drill needs root and Debian's pg_createcluster (CI has both)")
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    name, port = f"drill{uuid.uuid4().hex[:6]}", free_port()
    made = subprocess.run(  # noqa: S603
        [_tool("pg_createcluster"), version, name, "-p", str(port), "--start", "--", "--auth=trust"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    try:
        base = f"postgresql://postgres@127.0.0.1:{port}"
        admin_execute(f"{base}/postgres", 'CREATE DATABASE "registry"')
        command.upgrade(alembic_config(url=f"{base}/registry"), "heads")
        yield f"{base}/registry", [_tool("pg_ctlcluster"), version, name]
    finally:
        subprocess.run([_tool("pg_dropcluster"), version, name, "--stop"], capture_output=True, check=False)  # noqa: S603


def test_postgresql_restarted_under_load_fails_cleanly_and_recovers(settings, own_cluster, tmp_path):
    url, control = own_cluster
    app = create_app(dataclasses.replace(settings, database_url=url))
    session = app.extensions["registry"].sessionmaker()
    headers = Actors(app, session).headers("MOIT-DMS")
    session.commit()
    answers: list[tuple[float, int, str]] = []
    stop = threading.Event()
    # Not `testing`: under testing the registry raises what it would answer with a 503 (no test passes
    # on a silent error), and gunicorn would answer 500.
    env = registry_env(url, tmp_path / "var", REGISTRY_ENV="development")
    with gunicorn(env, tmp_path, workers=2) as server:

        def load() -> None:
            while not stop.is_set():
                try:
                    status, body = call(f"{server.base}/api/v1/subjects", headers=headers)
                except OSError as exc:
                    status, body = 0, type(exc).__name__
                answers.append((time.monotonic(), status, body))

        loaders = [threading.Thread(target=load) for _ in range(2)]
        for loader in loaders:
            loader.start()
        time.sleep(1.0)
        restarted = subprocess.run(  # noqa: S603
            [*control, "restart", "-m", "fast"], capture_output=True, text=True, check=False
        )
        back = time.monotonic()
        time.sleep(4.0)
        stop.set()
        for loader in loaders:
            loader.join(timeout=30)
    session.close()
    app.extensions["registry"].engine.dispose()
    assert restarted.returncode == 0, restarted.stderr
    statuses = [status for _, status, _ in answers]
    assert statuses.count(200) > 10
    # Every answer is a 200 or a clean 503 problem; never a 500, never a dropped connection.
    assert set(statuses) <= {200, 503}, sorted(set(statuses))
    assert 503 in statuses, "no request met the restart: the drill showed nothing"
    assert all(
        json.loads(body)["type"].endswith("database-unavailable") for _, s, body in answers if s == 503
    )
    # Back without restarting the registry: everything from two seconds after the restart on is a 200.
    assert {status for at, status, _ in answers if at > back + 2} == {200}
