"""`registry keys ...`: the registry's token-signing keys."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select

from registry.auth import assertions
from registry.auth.tokens import TokenService
from registry.cli.audit import rotate_key
from registry.cli.common import emit, session_scope, settings
from registry.fieldcrypt import FieldCipher
from registry.models import SigningKey


def _tokens() -> TokenService:
    config = settings()
    return TokenService(
        issuer=config.issuer,
        audience=config.audience,
        lifetime=config.token_lifetime,
        cipher=FieldCipher(config.data_key, config.lookup_key),
    )


def _describe(key: SigningKey) -> dict[str, Any]:
    state = "active" if key.retired_at is None else "retired"
    return {
        "kid": key.kid,
        "state": state,
        "created_at": key.created_at,
        "retired_at": key.retired_at,
        "verifies_until": key.expires_at,
    }


@click.group(help="Token-signing keys (ES256). Rotation overlaps: old keys verify until their tokens expire.")
def keys() -> None:
    pass


@keys.command(
    help="Start signing tokens with a new key; the previous keys keep verifying until their tokens "
    "expire. With --audit, rotate the audit log's checkpoint key (as `registry audit rotate-key`)."
)
@click.option("--json", "as_json", is_flag=True)
@click.option("--audit", "audit_key", is_flag=True, help="Rotate the audit log's signing key.")
@click.option(
    "--overlap", default="7d", show_default=True, help="With --audit: how long the old key co-signs."
)
@click.pass_context
def rotate(ctx: click.Context, as_json: bool, audit_key: bool, overlap: str) -> None:
    if audit_key:
        ctx.invoke(rotate_key, overlap=overlap)
        return
    with session_scope() as session:
        new, retired = _tokens().rotate(session)
        purged = assertions.purge_expired(session)
        data = {
            "active": _describe(new),
            "retired": [_describe(key) for key in retired],
            "purged_assertions": purged,
        }
    emit(data, as_json, f"signing with {new.kid}; retired {', '.join(k.kid for k in retired) or 'none'}")


@keys.command("list", help="List signing keys that still verify tokens (and the ones that no longer do).")
@click.option("--json", "as_json", is_flag=True)
def list_(as_json: bool) -> None:
    with session_scope() as session:
        data = [_describe(key) for key in session.scalars(select(SigningKey).order_by(SigningKey.created_at))]
    emit(
        data,
        as_json,
        "\n".join(
            f"{k['kid']}  {k['state']:8} created {k['created_at']:%Y-%m-%d %H:%M}"
            + (f"  verifies until {k['verifies_until']:%Y-%m-%d %H:%M:%S}" if k["verifies_until"] else "")
            for k in data
        ),
    )
