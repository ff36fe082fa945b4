"""OAuth clients of the agencies and the registry's own token-signing keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import Base, JSONType, created_at
from registry.models.agency import Agency


class OAuthClient(Base):
    __tablename__ = "oauth_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str | None] = mapped_column(String(200), comment="scrypt hash; never the secret")
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list, comment="scopes this client may hold")
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]
    # When it was last disabled; kept when enabled again: its tokens issued up to then stay refused.
    disabled_at: Mapped[datetime | None]

    agency: Mapped[Agency] = relationship()
    keys: Mapped[list[ClientKey]] = relationship(order_by="ClientKey.id", cascade="all, delete-orphan")


class SigningKey(Base):
    """An ES256 key that signs access tokens. Retired keys keep verifying until their tokens expire."""

    __tablename__ = "signing_key"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16), default="token")
    private_key_enc: Mapped[bytes] = mapped_column(LargeBinary, comment="PKCS#8 PEM, AES-GCM encrypted")
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[created_at]
    retired_at: Mapped[datetime | None] = mapped_column(comment="stops signing; still verifies")
    expires_at: Mapped[datetime | None] = mapped_column(comment="stops verifying")


class RevokedToken(Base):
    """Access tokens revoked before expiry (RFC 7009); kept until they would have expired anyway."""

    __tablename__ = "revoked_token"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[created_at]


class ClientKey(Base):
    """A client's public ES256 key (JWK): verifies its private_key_jwt and jwt-bearer assertions."""

    __tablename__ = "client_key"
    __table_args__ = (UniqueConstraint("client_id", "kid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("oauth_client.id", ondelete="CASCADE"), index=True)
    kid: Mapped[str] = mapped_column(String(100))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONType, comment="public part only; never `d`")
    created_at: Mapped[created_at]


class UsedAssertion(Base):
    """The `jti` of every client assertion accepted, kept until it expires, so none is accepted twice."""

    __tablename__ = "used_assertion"

    key: Mapped[str] = mapped_column(String(64), primary_key=True, comment="SHA-256 of client id and jti")
    client_id: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[created_at]


class AccessGeneration(Base):
    """One row whose value changes with every change to the rows a request's access check reads.

    Triggers (migration 0011) give it a new random value in the same transaction as any insert, update
    or delete on agency, oauth_client, signing_key or revoked_token. A process may keep what it
    derived from those rows (verified tokens, key sets, agency codes) for as long as the value it read
    them under is still current: one indexed read per request instead of re-verifying everything.
    Random rather than counted, so a rolled-back or restored value never comes back.
    """

    __tablename__ = "access_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(String(32))
