from __future__ import annotations

import os

import click

from registry.cli.common import session_scope, settings

# Each demo client gets what its agency's role needs, not the ceiling of its kind.
DEMO_CLIENTS = {
    "MOIT-DMS": "registry:read registry:write registry:read_sensitive blocking:submit reports:read",
    "MOF-CUSTOMS": "registry:read registry:read_sensitive registry:write reports:read",
    "MOF-TAX": "registry:read registry:read_sensitive registry:write freeze:submit reports:read",
    "MOST": "registry:read blocking:submit blocking:decide",  # the telecom authority since 2025 (was MIC)
    "MPS-C03": "registry:read registry:write registry:read_sensitive freeze:submit blocking:submit",
    "SBV": "registry:read freeze:process",
    "NSC389": "registry:read reports:read admin",
    "ISP-VNPT": "blocking:execute",
    "VNNIC": "registry:read blocking:execute",
    "BANK-970436": "freeze:execute",
    "VECOM": "registry:read reports:read",
    "AUDIT": "registry:read audit:read reports:read",
    "PARTNER-DEMO": "exchange:read",  # the demonstration partner (services/demo.py; docs/exchange.md)
}


def _clients_text(rows: list[tuple[str, str, str, str]], issuer: str) -> str:
    lines = [
        "# Demo OAuth clients (development only). Secrets are shown here once; the database keeps hashes.",
        "# Get a token (client_credentials, client_secret_basic) and call the API; REGISTRY is the address",
        "# `registry serve` prints (another one with `make run PORT=8080` or `registry serve --port 8080`):",
        "#",
        f"#   REGISTRY={issuer}",
        "#   TOKEN=$(curl -s -u CLIENT_ID:SECRET -d grant_type=client_credentials $REGISTRY/oauth/token \\",
        "#           | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')",
        '#   curl -H "Authorization: Bearer $TOKEN" "$REGISTRY/api/v1/subjects?q=nguyen"',
        "#   (writes and ?sensitive=true also need: -H 'X-Purpose: <case or decision number>')",
        "",
    ]
    for agency, client_id, secret, scopes in rows:
        lines.append(f"{agency:12} client_id={client_id} secret={secret}\n{'':12} scopes={scopes}")
    return "\n".join(lines) + "\n"


@click.command("demo-data", help="Load realistic synthetic sellers, identifiers, cases and demo clients.")
@click.option("--subjects", default=200, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--seed", default=389, show_default=True, type=int, help="Same seed, same data.")
@click.option("--if-empty", is_flag=True, help="Do nothing if the registry already holds subjects.")
@click.option("--no-clients", is_flag=True, help="Do not create demo OAuth clients.")
def demo_data(subjects: int, seed: int, if_empty: bool, no_clients: bool) -> None:
    from registry.auth.clients import create_client
    from registry.fieldcrypt import FieldCipher
    from registry.services import demo

    config = settings()
    with session_scope(config) as session:
        if if_empty and not demo.is_empty(session):
            click.echo("demo data: the registry already holds subjects; nothing loaded")
            return
        cipher = FieldCipher(config.data_key, config.lookup_key)
        with click.progressbar(length=subjects, label="demo subjects", show_pos=True) as bar:
            counts = demo.generate(session, cipher=cipher, subjects=subjects, seed=seed, advance=bar.update)
        rows = []
        if not no_clients:
            for code, scopes in DEMO_CLIENTS.items():
                new = create_client(session, agency_code=code, scopes=scopes, name=f"{code} demo system")
                rows.append((code, new.client.client_id, new.secret, scopes))
    click.echo(
        f"loaded {counts.subjects} subjects, {counts.identifiers} identifiers, {counts.links} links, "
        f"{counts.violations} violations, {counts.decisions} decisions"
    )
    if rows:
        path = config.var_dir / "demo-clients.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(_clients_text(rows, config.issuer))
        click.echo(f"demo clients and how to get a token: {path}")
