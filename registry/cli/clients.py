"""`registry clients ...`: agency systems as OAuth clients."""

from __future__ import annotations

import json
from typing import Any

import click
from sqlalchemy import select

from registry.auth import clients as service
from registry.cli.common import emit, session_scope
from registry.errors import RegistryError
from registry.models import Agency, OAuthClient


def _fail(error: RegistryError) -> click.ClickException:
    return click.ClickException(error.detail)


def _describe(client: OAuthClient) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "agency": client.agency.code,
        "name": client.name,
        "scopes": list(client.scopes),
        "enabled": client.enabled,
        "auth_methods": [
            m
            for m, ok in (("client_secret_basic", client.secret_hash), ("private_key_jwt", client.keys))
            if ok
        ],
        "keys": [key.kid for key in client.keys],
    }


@click.group(help="OAuth clients: the agencies' systems that call the registry.")
def clients() -> None:
    pass


@clients.command(help="Register a client of an agency; prints its id and its secret, shown only this once.")
@click.option("--agency", "agency_code", required=True, help="Agency code, e.g. MOIT-DMS.")
@click.option("--scopes", required=True, help='Space-separated, e.g. "registry:read registry:write".')
@click.option("--name", default=None, help="A name for the system.")
@click.option("--json", "as_json", is_flag=True)
def create(agency_code: str, scopes: str, name: str | None, as_json: bool) -> None:
    try:
        with session_scope() as session:
            created = service.create_client(session, agency_code=agency_code, scopes=scopes, name=name)
            data = {**_describe(created.client), "client_secret": created.secret}
    except RegistryError as error:
        raise _fail(error) from error
    emit(
        data,
        as_json,
        (
            f"client_id:     {data['client_id']}\nclient_secret: {data['client_secret']}\n"
            f"scopes:        {' '.join(data['scopes'])}\n"
            "The secret is shown only now; the registry keeps only its hash."
        ),
    )


@clients.command("list", help="List clients.")
@click.option("--agency", "agency_code", default=None)
@click.option("--json", "as_json", is_flag=True)
def list_(agency_code: str | None, as_json: bool) -> None:
    with session_scope() as session:
        query = select(OAuthClient).join(Agency).order_by(Agency.code, OAuthClient.client_id)
        if agency_code:
            query = query.where(Agency.code == agency_code)
        data = [_describe(client) for client in session.scalars(query)]
    emit(
        data,
        as_json,
        "\n".join(
            f"{c['client_id']:28} {c['agency']:14} {'enabled ' if c['enabled'] else 'DISABLED'} "
            + " ".join(c["scopes"])
            for c in data
        ),
    )


@clients.command("add-key", help="Register a public ES256 JWK (file, or - for stdin) for private_key_jwt.")
@click.argument("client_id")
@click.option("--jwk", "jwk_file", required=True, type=click.File("r"))
@click.option("--json", "as_json", is_flag=True)
def add_key(client_id: str, jwk_file: Any, as_json: bool) -> None:
    try:
        jwk = json.load(jwk_file)
    except ValueError as exc:
        raise click.ClickException(f"not JSON: {exc}") from exc
    try:
        with session_scope() as session:
            key = service.add_key(session, client_id, jwk)
            data = {"client_id": client_id, "kid": key.kid}
    except RegistryError as error:
        raise _fail(error) from error
    emit(data, as_json, f"key {data['kid']} registered for {client_id}")


@clients.command("remove-key", help="Remove a registered key.")
@click.argument("client_id")
@click.argument("kid")
def remove_key(client_id: str, kid: str) -> None:
    try:
        with session_scope() as session:
            service.remove_key(session, client_id, kid)
    except RegistryError as error:
        raise _fail(error) from error
    click.echo(f"key {kid} removed from {client_id}")


def _toggle(client_id: str, enabled: bool) -> None:
    try:
        with session_scope() as session:
            service.set_enabled(session, client_id, enabled)
    except RegistryError as error:
        raise _fail(error) from error
    click.echo(f"{client_id} {'enabled' if enabled else 'disabled; its tokens are refused from now on'}")


@clients.command(help="Disable a client: its tokens are refused on their next use, and for good.")
@click.argument("client_id")
def disable(client_id: str) -> None:
    _toggle(client_id, False)


@clients.command(
    help="Enable a disabled client again: it gets new tokens; those issued before it was disabled "
    "stay refused."
)
@click.argument("client_id")
def enable(client_id: str) -> None:
    _toggle(client_id, True)


@clients.command("rotate-secret", help="Give a client a new secret (shown once); the old one stops working.")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True)
def rotate_secret(client_id: str, as_json: bool) -> None:
    try:
        with session_scope() as session:
            secret = service.rotate_secret(session, client_id)
    except RegistryError as error:
        raise _fail(error) from error
    emit(
        {"client_id": client_id, "client_secret": secret},
        as_json,
        f"client_id:     {client_id}\nclient_secret: {secret}",
    )
