"""RFC 9068 access tokens: ES256 JWTs with a `kid`, signed by rotating keys kept in the database."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.auth.scopes import allowed_scopes
from registry.db import utcnow
from registry.errors import Unauthenticated
from registry.fieldcrypt import FieldCipher
from registry.generation import GenerationCache
from registry.messages import msg
from registry.models import Agency, OAuthClient, RevokedToken, SigningKey

ALGORITHM = "ES256"
CLOCK_SKEW = 30  # seconds of leeway for exp/nbf/iat between agency systems' clocks


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scope: str
    claims: dict[str, Any]


def _unverified_kid(token: str) -> str:
    """The kid in a compact JWS header, only to choose among our own keys; nothing is trusted yet."""
    try:
        header = token.split(".", 1)[0]
        kid = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))).get("kid")
    except (ValueError, AttributeError, UnicodeDecodeError):
        raise Unauthenticated("the access token is not valid") from None
    if not isinstance(kid, str):
        raise Unauthenticated("the access token is not valid")
    return kid


def _disabled_second(client: OAuthClient) -> int:
    """The second in which the client was last disabled (-1 if never): its tokens up to it are void."""
    return int(client.disabled_at.timestamp()) if client.disabled_at is not None else -1


def agency_retired(agency: Agency) -> bool:
    """Merged or renamed: its last day of validity (a UTC date) has passed, and its clients with it."""
    return agency.valid_to is not None and agency.valid_to < utcnow().date()


class TokenService:
    def __init__(self, *, issuer: str, audience: str, lifetime: int, cipher: FieldCipher) -> None:
        self.issuer = issuer
        self.audience = audience
        self.lifetime = lifetime
        self._cipher = cipher
        # The key set and kid -> stops verifying at: saves a query and a key import per request.
        self._keys: GenerationCache[str, tuple[KeySet, dict[str, datetime | None]]] = GenerationCache(1)

    # -- keys ---------------------------------------------------------------------------------------
    def _new_key(self, session: Session) -> SigningKey:
        private = ec.generate_private_key(ec.SECP256R1())
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        jwk = ECKey.import_key(pem)
        kid = jwk.thumbprint()
        public = jwk.as_dict(private=False)
        public.update({"kid": kid, "use": "sig", "alg": ALGORITHM})
        key = SigningKey(
            kid=kid,
            private_key_enc=self._cipher.encrypt(pem.decode(), f"signing_key:{kid}"),
            public_jwk=public,
        )
        session.add(key)
        session.flush()
        return key

    def active_key(self, session: Session) -> SigningKey:
        key = session.scalars(
            select(SigningKey).where(SigningKey.retired_at.is_(None)).order_by(SigningKey.created_at.desc())
        ).first()
        return key or self._new_key(session)

    def rotate(self, session: Session) -> tuple[SigningKey, list[SigningKey]]:
        """A new signing key; the old ones stop signing now and stop verifying once their tokens expire."""
        now = utcnow()
        retired = list(session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))))
        for key in retired:
            key.retired_at = now
            key.expires_at = now + timedelta(seconds=self.lifetime + CLOCK_SKEW)
        return self._new_key(session), retired

    def verification_keys(self, session: Session) -> list[SigningKey]:
        return list(
            session.scalars(
                select(SigningKey)
                .where(or_(SigningKey.expires_at.is_(None), SigningKey.expires_at > utcnow()))
                .order_by(SigningKey.created_at)
            )
        )

    def jwks(self, session: Session) -> dict[str, Any]:
        return {"keys": [key.public_jwk for key in self.verification_keys(session)]}

    # -- issuing ------------------------------------------------------------------------------------
    def issue(
        self, session: Session, *, client: OAuthClient, scopes: list[str], officer: str | None = None
    ) -> IssuedToken:
        key = self.active_key(session)
        private = ECKey.import_key(self._cipher.decrypt(key.private_key_enc, f"signing_key:{key.kid}"))
        # Never a token born refused: if the client was disabled (and enabled again) within this very
        # second, the token is dated the next one (see principal: iat up to that second is refused).
        now = max(int(time.time()), _disabled_second(client) + 1)
        scope = " ".join(sorted(scopes))
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": officer or client.client_id,
            "client_id": client.client_id,
            "agency": client.agency.code,
            "scope": scope,
            "iat": now,
            "nbf": now,
            "exp": now + self.lifetime,
            "jti": secrets.token_urlsafe(18),
        }
        if officer:
            claims["officer"] = officer
        header = {"alg": ALGORITHM, "typ": "at+jwt", "kid": key.kid}
        return IssuedToken(
            jwt.encode(header, claims, private, algorithms=[ALGORITHM]), self.lifetime, scope, claims
        )

    def sign_id_token(self, session: Session, claims: dict[str, Any]) -> str:
        """An OpenID Connect ID token of the development identity provider (auth.devidp), signed with
        the active key. Its `typ` is JWT, so it is never accepted as an access token (see decode)."""
        key = self.active_key(session)
        private = ECKey.import_key(self._cipher.decrypt(key.private_key_enc, f"signing_key:{key.kid}"))
        header = {"alg": ALGORITHM, "typ": "JWT", "kid": key.kid}
        return jwt.encode(header, claims, private, algorithms=[ALGORITHM])

    # -- verifying ----------------------------------------------------------------------------------
    def _keyset(self, session: Session, kid: str) -> KeySet:
        """The verification keys, read again only after the signing keys change (see generation)."""
        cached = self._keys.get(session, "keys")
        if cached is None:
            keys = self.verification_keys(session)
            if not keys:
                raise Unauthenticated("no signing key is configured")
            keyset = KeySet.import_key_set({"keys": [key.public_jwk for key in keys]})
            cached = (keyset, {key.kid: key.expires_at for key in keys})
            self._keys.put(session, "keys", cached)
        expires = cached[1].get(kid, utcnow())
        if expires is not None and expires <= utcnow():
            raise Unauthenticated("the access token is not valid")
        return cached[0]

    def decode(self, session: Session, token: str) -> dict[str, Any]:
        """The verified claims of one of our own tokens, or Unauthenticated with a safe reason."""
        keyset = self._keyset(session, _unverified_kid(token))
        try:
            decoded = jwt.decode(token, keyset, algorithms=[ALGORITHM])
        except (JoseError, ValueError, TypeError) as exc:
            raise Unauthenticated("the access token is not valid") from exc
        if decoded.header.get("typ", "").lower() not in ("at+jwt", "application/at+jwt"):
            raise Unauthenticated("the token is not an access token")
        registry = jwt.JWTClaimsRegistry(
            leeway=CLOCK_SKEW,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.audience},
            exp={"essential": True},
            nbf={"essential": False},
            iat={"essential": True},
            jti={"essential": True},
            sub={"essential": True},
            client_id={"essential": True},
            agency={"essential": True},
        )
        try:
            registry.validate(decoded.claims)
        except JoseError as exc:
            raise Unauthenticated(msg("the access token was refused: {error}", error=exc.error)) from exc
        return decoded.claims

    def principal(self, session: Session, claims: dict[str, Any]) -> Principal:
        """The caller behind verified claims, refused if the client is disabled, was disabled after the
        token was issued, or the token was revoked."""
        row = session.execute(
            select(OAuthClient, Agency, RevokedToken.jti)
            .join(Agency, OAuthClient.agency_id == Agency.id)
            .outerjoin(RevokedToken, RevokedToken.jti == claims["jti"])
            .where(OAuthClient.client_id == claims["client_id"])
        ).first()
        if row is None or not row[0].enabled:
            raise Unauthenticated("the client is unknown or disabled")
        client, agency, revoked = row
        if agency.code != claims["agency"]:
            raise Unauthenticated("the token's agency does not match its client")
        if revoked is not None:
            raise Unauthenticated("the access token was revoked")
        # Disabling kills every token issued so far, and enabling again revives none: `iat` is in whole
        # seconds, so a token of the second of the disable counts as issued before it.
        if int(claims["iat"]) <= _disabled_second(client):
            raise Unauthenticated("the access token was issued before its client was last disabled")
        if agency_retired(agency):
            raise Unauthenticated("the client's agency no longer exists (merged or renamed)")
        # The client's registered scopes and its agency's current ceiling bound every token, so a
        # scope withdrawn from either stops working at once, before the token expires.
        granted = (
            frozenset(claims.get("scope", "").split())
            & frozenset(client.scopes)
            & allowed_scopes(agency.kind, agency.code)
        )
        return Principal(
            client_id=client.client_id,
            agency=agency.code,
            agency_id=agency.id,
            agency_kind=agency.kind,
            scopes=granted,
            officer=claims.get("officer"),
            token_id=claims["jti"],
            issuer=claims["iss"],
            expires_at=int(claims["exp"]),
        )

    def authenticate(self, session: Session, token: str) -> Principal:
        return self.principal(session, self.decode(session, token))

    def revoke(self, session: Session, claims: dict[str, Any]) -> None:
        if session.get(RevokedToken, claims["jti"]) is None:
            session.add(
                RevokedToken(jti=claims["jti"], expires_at=datetime.fromtimestamp(claims["exp"], UTC))
            )
            session.flush()


class VerifiedTokens:
    """Callers behind tokens this process verified, kept until their access rows change.

    A hit skips the signature check and the query for client, agency and revocation; the entry is
    dropped by any change to those rows (see registry.generation), when the token expires, and at the
    end of the UTC day (an agency's last day of validity is a date).
    """

    def __init__(self, size: int = 10_000) -> None:
        self._cache: GenerationCache[bytes, tuple[Principal, float]] = GenerationCache(size)

    @staticmethod
    def _key(token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()  # the token itself is not kept

    def get(self, session: Session, token: str) -> Principal | None:
        found = self._cache.get(session, self._key(token))
        if found is None or time.time() >= found[1]:
            return None
        return found[0]

    def put(self, session: Session, token: str, principal: Principal) -> None:
        if principal.expires_at is None:
            return
        now = time.time()
        end_of_day = (now // 86_400 + 1) * 86_400
        self._cache.put(
            session, self._key(token), (principal, min(principal.expires_at + CLOCK_SKEW, end_of_day))
        )
