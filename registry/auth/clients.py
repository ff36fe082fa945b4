"""Registering agency systems as OAuth clients: scopes within their agency's ceiling, secrets, keys."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.auth.credentials import hash_secret, new_secret
from registry.auth.scopes import allowed_scopes, parse_scope_string
from registry.db import utcnow
from registry.errors import Duplicate, NotFound, ValidationFailed
from registry.messages import msg
from registry.models import Agency, OAuthClient
from registry.models.auth import ClientKey

_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")


@dataclass(frozen=True)
class NewClient:
    client: OAuthClient
    secret: str  # shown once, never stored


def get_client(session: Session, client_id: str) -> OAuthClient:
    client = session.scalars(select(OAuthClient).where(OAuthClient.client_id == client_id)).first()
    if client is None:
        raise NotFound(msg("No client {client_id}.", client_id=client_id))
    return client


def create_client(session: Session, *, agency_code: str, scopes: str, name: str | None = None) -> NewClient:
    agency = session.scalars(select(Agency).where(Agency.code == agency_code)).first()
    if agency is None:
        raise NotFound(msg("No agency {code}.", code=agency_code))
    requested = parse_scope_string(scopes)
    if not requested:
        raise ValidationFailed("A client needs at least one scope.", errors={"scopes": ["Empty."]})
    ceiling = allowed_scopes(agency.kind, agency.code)
    refused = [scope for scope in requested if scope not in ceiling]
    if refused:
        raise ValidationFailed(
            msg(
                "An agency of kind {kind} may not hold: {scopes}.",
                kind=agency.kind,
                scopes=", ".join(refused),
            ),
            errors={"scopes": [f"Allowed for {agency.kind}: {', '.join(sorted(ceiling))}."]},
        )
    secret = new_secret()
    client = OAuthClient(
        client_id=f"{agency.code.lower()}-{secrets.token_hex(6)}",
        agency_id=agency.id,
        name=name or f"{agency.code} system",
        secret_hash=hash_secret(secret),
        scopes=requested,
    )
    session.add(client)
    session.flush()
    return NewClient(client, secret)


def rotate_secret(session: Session, client_id: str) -> str:
    """A new secret; the old one stops working at once."""
    client = get_client(session, client_id)
    secret = new_secret()
    client.secret_hash = hash_secret(secret)
    session.flush()
    return secret


def set_enabled(session: Session, client_id: str, enabled: bool) -> OAuthClient:
    """Disable or enable; tokens of a disabled client are refused on their next use, and for good.

    `disabled_at` is when it was last disabled, and stays when it is enabled again: tokens issued up
    to then remain refused (`TokenService.principal`), so enabling a client revives none of them."""
    client = get_client(session, client_id)
    client.enabled = enabled
    if not enabled:
        client.disabled_at = utcnow()
    session.flush()
    return client


def public_es256_jwk(jwk: Any) -> dict[str, Any]:
    """The public P-256 JWK to register, refusing private keys and other key types."""
    if not isinstance(jwk, dict):
        raise ValidationFailed("A JWK is a JSON object.", errors={"jwk": ["Not an object."]})
    if any(member in jwk for member in _PRIVATE_MEMBERS):
        raise ValidationFailed(
            "This JWK holds private key material; register only the public key.", errors={"jwk": ["Private."]}
        )
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValidationFailed("Only ES256 keys (EC, P-256) are accepted.", errors={"jwk": ["Not P-256."]})
    if jwk.get("alg", "ES256") != "ES256":
        raise ValidationFailed("The key's alg must be ES256.", errors={"jwk": ["Wrong alg."]})
    try:
        key = ECKey.import_key({k: v for k, v in jwk.items() if k in ("kty", "crv", "x", "y")})
    except (JoseError, ValueError, TypeError) as exc:
        raise ValidationFailed("The JWK is not a valid EC public key.", errors={"jwk": [str(exc)]}) from exc
    kid = str(jwk.get("kid") or key.thumbprint())
    public = key.as_dict(private=False)
    public.update({"kid": kid, "alg": "ES256", "use": "sig"})
    return public


def add_key(session: Session, client_id: str, jwk: Any) -> ClientKey:
    client = get_client(session, client_id)
    public = public_es256_jwk(jwk)
    if any(existing.kid == public["kid"] for existing in client.keys):
        raise Duplicate(
            msg("Client {client_id} already has a key {kid}.", client_id=client_id, kid=public["kid"]),
            existing=public["kid"],
        )
    key = ClientKey(client_id=client.id, kid=public["kid"], public_jwk=public)
    client.keys.append(key)
    session.flush()
    return key


def remove_key(session: Session, client_id: str, kid: str) -> None:
    client = get_client(session, client_id)
    key = next((key for key in client.keys if key.kid == kid), None)
    if key is None:
        raise NotFound(msg("Client {client_id} has no key {kid}.", client_id=client_id, kid=kid))
    client.keys.remove(key)
    session.flush()
