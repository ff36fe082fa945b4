from __future__ import annotations

import os
import stat
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from registry.cli import main
from registry.db import make_engine, make_sessionmaker
from registry.models import Identifier, OAuthClient, Subject, Violation


def count(url: str, model: type) -> int:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        total = session.scalar(select(func.count()).select_from(model))
    engine.dispose()
    return total or 0


def names(url: str) -> list[str]:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        result = list(session.scalars(select(Subject.name).order_by(Subject.name)))
    engine.dispose()
    return result


def test_demo_data_loads_valid_records_clients_and_is_idempotent_with_if_empty(cli_env, fresh_database):
    runner = CliRunner()
    result = runner.invoke(main, ["demo-data", "--subjects", "12", "--seed", "7"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert "loaded 12 subjects" in result.output
    assert count(fresh_database, Subject) == 12
    assert count(fresh_database, Violation) >= 12
    assert count(fresh_database, Identifier) > 12
    assert count(fresh_database, OAuthClient) == 13  # one per demo agency, the demo partner's included
    clients = Path(cli_env["REGISTRY_VAR_DIR"]) / "demo-clients.txt"
    assert stat.S_IMODE(os.stat(clients).st_mode) == 0o600
    assert "grant_type=client_credentials" in clients.read_text()

    again = runner.invoke(main, ["demo-data", "--subjects", "12", "--if-empty"], env=cli_env)
    assert again.exit_code == 0 and "nothing loaded" in again.output
    assert count(fresh_database, Subject) == 12


def test_demo_data_is_deterministic_for_a_seed(tmp_path):
    runner = CliRunner()
    first = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    second = f"sqlite:///{tmp_path / 'b.sqlite3'}"
    for url in (first, second):
        env = {"REGISTRY_DATABASE_URL": url, "REGISTRY_VAR_DIR": str(tmp_path / "var")}
        assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
        result = runner.invoke(
            main, ["demo-data", "--subjects", "5", "--seed", "11", "--no-clients"], env=env
        )
        assert result.exit_code == 0, result.output
    assert names(first) == names(second)
    assert len(names(first)) == 5


def test_demo_tax_codes_and_personal_ids_stay_unique_at_twenty_thousand():
    """`demo-data --subjects 20000` used to stop at a duplicate tax code (seed 389: the 17,787th drawn)
    or personal ID and keep nothing; the generators draw again on a value already given."""
    import random

    from registry.identifiers import parse
    from registry.services.demo import personal_id, tax_code

    rng = random.Random(389)
    taken: set[str] = set()
    codes = [tax_code(rng, taken) for _ in range(20_000)]
    assert len(set(codes)) == 20_000
    assert all(parse("tax_code", code).value == code for code in codes[:50])
    rng = random.Random(389)
    taken = set()
    ids = [personal_id(rng, taken) for _ in range(20_000)]
    assert len(set(ids)) == 20_000


def test_the_demo_publishes_the_sanctioned_cases_of_its_public_sellers(tmp_path):
    """`make run` shows the public site something: a public seller's sanctioned case is published."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from registry.db import make_engine

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    env = {"REGISTRY_DATABASE_URL": url, "REGISTRY_VAR_DIR": str(tmp_path / "var")}
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    result = runner.invoke(main, ["demo-data", "--subjects", "60", "--seed", "389", "--no-clients"], env=env)
    assert result.exit_code == 0, result.output
    engine = make_engine(url)
    with Session(engine) as session:
        cases = session.execute(select(Violation.visibility, Violation.status)).all()
    engine.dispose()
    published = [status for visibility, status in cases if visibility == "public"]
    assert published and set(published) == {"sanctioned"}
