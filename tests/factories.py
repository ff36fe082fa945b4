"""Factories for test data, and callers with real credentials: one place for every test area.

Two families, by how the record is made:

* ORM factories take the test's session `db` and write straight into the database (`make_subject`,
  `make_decision`, `make_violation`): for tests whose subject is something else. Their owner is MOST
  unless `owner=` says otherwise.
* HTTP factories go through the API as a caller and assert the 201 (`create_subject`, `create_link`,
  `create_violation` take the caller's headers; `create_identifier`, `create_decision` take `actors`
  and an agency code). Each takes keyword arguments for the fields a test cares about.

Then callers: `Actors` (tokens for seeded agencies), `make_client` (an agency system with a secret and a
registered key), and the audit log's pieces (`new_log`, `audit_event`).
"""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pikepdf
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.keys import LogKeys
from registry.audit.log import AuditLog
from registry.audit.recorder import AuditEvent
from registry.auth import clients
from registry.auth.principal import Principal
from registry.auth.scopes import allowed_scopes
from registry.fieldcrypt import FieldCipher
from registry.identifiers import fold_name
from registry.models import (
    Agency,
    Decision,
    DecisionDocument,
    OAuthClient,
    SignatureStatus,
    Subject,
    Violation,
)
from registry.services import visibility as visibility_service

DATA_KEY, LOOKUP_KEY = b"d" * 32, b"l" * 32  # the field keys of every test app
AUDIT_ORIGIN = "registry.test/audit"


def pdf_bytes(build: Callable[[pikepdf.Pdf], None] | None = None) -> bytes:
    """A real one-page PDF (the same bytes each time); `build` may add to it first."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    if build is not None:
        build(pdf)
    out = io.BytesIO()
    pdf.save(out, static_id=True)
    return out.getvalue()


PDF = pdf_bytes()
PDF_SHA256 = hashlib.sha256(PDF).hexdigest()
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


# -- ORM factories: straight into the test's session ----------------------------------------------------
def agency_id(db: Session, code: str) -> int:
    return db.scalar(select(Agency.id).where(Agency.code == code))  # type: ignore[return-value]


def make_subject(
    db: Session,
    *,
    owner: str = "MOST",
    name: str = "Công ty TNHH Hàng Giả",
    visibility: str = "state",
    shared_with: Sequence[str] = (),
) -> Subject:
    subject = Subject(
        kind="organisation",
        name=name,
        name_folded=fold_name(name),
        addresses=[],
        owner_agency_id=agency_id(db, owner),
        visibility=visibility,
    )
    db.add(subject)
    db.flush()
    if shared_with:
        found = db.scalars(select(Agency).where(Agency.code == owner)).one()
        principal = Principal("test", found.code, found.id, found.kind, frozenset())
        visibility_service.initialise(db, subject, principal, visibility, list(shared_with))
        db.flush()
    return subject


def make_decision(
    db: Session, *, issuer: str = "MOST", owner: str = "MOST", document: bool = True, **fields: Any
) -> Decision:
    """A written decision recorded directly; `fields` replace any column's default.

    With `document` (the default) its PDF is stored too, so the decision can ground a workflow step;
    `document=False` leaves it as a record waiting for its document.
    """
    content = PDF if document else None
    values: dict[str, Any] = {
        "document_type": "decision",
        "number": f"{uuid.uuid4().hex[:4]}/QĐ-CVT",
        "place": "Hà Nội",
        "issued_on": date.today() - timedelta(days=2),
        "issuing_body": "Cục Viễn thông",
        "signer_name": "Nguyễn Văn A",
        "signer_title": "Cục trưởng",
        "legal_bases": ["Nghị định 147/2024/NĐ-CP"],
        "targets": [],
        "reason": "Kinh doanh hàng giả trên mạng",
        "effective_from": date.today() - timedelta(days=2),
        "effective_to": date.today() + timedelta(days=365),
        "document_sha256": hashlib.sha256(content).hexdigest() if content else "a" * 64,
        "visibility": "state",
        **fields,
    }
    decision = Decision(
        issuer_agency_id=agency_id(db, issuer), owner_agency_id=agency_id(db, owner), **values
    )
    if content is not None:
        decision.signature_status = SignatureStatus.UNSIGNED
        decision.document = DecisionDocument(
            sha256=hashlib.sha256(content).hexdigest(),
            content_type="application/pdf",
            size=len(content),
            content=content,
        )
    db.add(decision)
    db.flush()
    return decision


def make_violation(db: Session, *, owner: str = "MOST", subjects: list[Subject] | None = None) -> Violation:
    violation = Violation(
        summary="Bán mỹ phẩm giả",
        categories=["COUNTERFEIT"],
        detected_at=datetime.now(UTC) - timedelta(days=3),
        owner_agency_id=agency_id(db, owner),
        visibility="state",
        subjects=subjects or [],
    )
    db.add(violation)
    db.flush()
    return violation


# -- HTTP factories: through the API, as a caller --------------------------------------------------------
def _created(response: Any) -> dict:
    assert response.status_code == 201, response.json
    return response.json


def create_subject(
    client: Any, headers: dict[str, str], name: str = "Công ty TNHH Mỹ phẩm Đức Anh", **fields: Any
) -> dict:
    body = {"kind": "organisation", "name": name, **fields}
    return _created(client.post("/api/v1/subjects", json=body, headers=headers))


def create_link(
    client: Any, headers: dict[str, str], subject_id: str, kind: str, value: str, **fields: Any
) -> dict:
    body = {"subject_id": subject_id, "source": "inspection", "identifier": {"kind": kind, "value": value}}
    return _created(client.post("/api/v1/links", json={**body, **fields}, headers=headers))


def create_violation(
    client: Any,
    headers: dict[str, str],
    subject_ids: Iterable[str],
    identifier_ids: Iterable[str] = (),
    **fields: Any,
) -> dict:
    body = {
        "subjects": list(subject_ids),
        "identifiers": list(identifier_ids),
        "categories": ["COUNTERFEIT"],
        "goods_groups": ["cosmetics"],
        "summary": "Bán hàng giả",
        "detected_at": "2026-10-01T08:00:00+07:00",
        **fields,
    }
    return _created(client.post("/api/v1/violations", json=body, headers=headers))


def create_identifier(client: Any, actors: Actors, value: str = "daiphat.vn", kind: str = "domain") -> str:
    """Registers an identifier as MOIT-DMS; returns its id."""
    response = client.post(
        "/api/v1/identifiers", json={"kind": kind, "value": value}, headers=actors.headers("MOIT-DMS")
    )
    return _created(response)["id"]


def decision_body(**overrides: object) -> dict:
    body = {
        "document_type": "decision",
        "number": "123/QĐ-CSKT",
        "place": "Hà Nội",
        "issued_on": "2025-03-14",
        "issuer": "MOIT-DMS",
        "issuing_body": "Cục Quản lý và Phát triển thị trường trong nước",
        "signer_name": "Nguyễn Văn A",
        "signer_title": "Cục trưởng",
        "signer_capacity": "KT. Cục trưởng",
        "legal_bases": ["Nghị định 98/2020/NĐ-CP"],
        "targets": ["Công ty TNHH Đại Phát", "daiphat.vn"],
        "reason": "Kinh doanh hàng giả trên sàn thương mại điện tử",
        "effective_from": "2025-03-14",
        "effective_to": "2026-03-13",
        "executing_party": "Công ty TNHH Đại Phát",
        "document_sha256": PDF_SHA256,
    }
    body.update(overrides)
    return body


def create_decision(client: Any, actors: Actors, agency: str = "MOIT-DMS", **overrides: object) -> dict:
    return _created(
        client.post("/api/v1/decisions", json=decision_body(**overrides), headers=actors.headers(agency))
    )


# -- callers -----------------------------------------------------------------------------------------------
class Actors:
    """Mints real ES256 access tokens for clients of seeded agencies."""

    def __init__(self, app: Any, session: Session) -> None:
        self.app = app
        self.session = session
        self._clients: dict[tuple[str, tuple[str, ...]], OAuthClient] = {}

    def agency(self, code: str) -> Agency:
        return self.session.scalars(select(Agency).where(Agency.code == code)).one()

    def oauth_client(self, agency: str, scopes: list[str] | None = None) -> OAuthClient:
        found = self.agency(agency)
        scopes = sorted(scopes if scopes is not None else allowed_scopes(found.kind, found.code))
        key = (agency, tuple(scopes))
        if key not in self._clients:
            client = OAuthClient(
                client_id=f"test-{agency.lower()}-{secrets.token_hex(4)}",
                agency_id=found.id,
                name=f"test client of {agency}",
                scopes=scopes,
            )
            self.session.add(client)
            self.session.flush()
            self._clients[key] = client
        return self._clients[key]

    def token(self, agency: str, scopes: list[str] | None = None, officer: str | None = None) -> str:
        client = self.oauth_client(agency, scopes)
        tokens = self.app.extensions["registry"].tokens
        return tokens.issue(
            self.session, client=client, scopes=list(client.scopes), officer=officer
        ).access_token

    def headers(
        self,
        agency: str,
        scopes: list[str] | None = None,
        officer: str | None = None,
        purpose: str | None = "CASE-1",
    ) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token(agency, scopes, officer)}"}
        if purpose:
            headers["X-Purpose"] = purpose
        return headers


@dataclass
class AgencySystem:
    """An agency's system registered as an OAuth client: its secret and its private key."""

    client_id: str
    secret: str
    key: ECKey  # private; its public half is registered
    kid: str

    def basic(self) -> dict[str, str]:
        raw = f"{self.client_id}:{self.secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    def assertion(self, audience: str, *, subject: str | None = None, **claims: Any) -> str:
        return sign_assertion(
            self.key,
            self.kid,
            issuer=self.client_id,
            subject=subject or self.client_id,
            audience=audience,
            **claims,
        )

    def private_key_jwt(self, audience: str, **claims: Any) -> dict[str, str]:
        return {
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(audience, **claims),
        }


def make_client(
    session: Session, agency: str = "MOIT-DMS", scopes: str = "registry:read registry:write"
) -> AgencySystem:
    created = clients.create_client(session, agency_code=agency, scopes=scopes, name="test system")
    key = ECKey.generate_key("P-256", private=True)
    kid = f"k-{secrets.token_hex(4)}"
    clients.add_key(session, created.client.client_id, {**key.as_dict(private=False), "kid": kid})
    return AgencySystem(created.client.client_id, created.secret, key, kid)


def sign_assertion(key: ECKey, kid: str, *, issuer: str, subject: str, audience: str, **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "iat": now,
        "exp": now + 120,
        "jti": secrets.token_urlsafe(12),
        **claims,
    }
    return jwt.encode({"alg": "ES256", "kid": kid}, payload, key, algorithms=["ES256"])


# -- the audit log -----------------------------------------------------------------------------------------
def new_log(origin: str = AUDIT_ORIGIN) -> AuditLog:
    return AuditLog(
        origin=origin, keys=LogKeys(name=origin, cipher=FieldCipher(DATA_KEY, LOOKUP_KEY), generate=True)
    )


def audit_event(n: int, **overrides: Any) -> AuditEvent:
    fields: dict[str, Any] = {
        "action": "identifier:read",
        "outcome": "allowed",
        "agency": "MOIT-DMS",
        "client_id": "c1",
        "officer": f"officer-{n}",
        "resource_type": "identifier",
        "resource_id": str(n),
        "status_code": 200,
    }
    return AuditEvent(**{**fields, **overrides})


def vn_date(moment: str) -> str:
    """The Vietnamese date (ISO) of an ISO instant from an answer: what the registry's date rules use
    (from 17:00 UTC it is already the next day in Vietnam)."""
    return datetime.fromisoformat(moment).astimezone(timezone(timedelta(hours=7))).date().isoformat()
