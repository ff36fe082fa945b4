"""Every mapped class, imported here so the metadata is complete for Alembic and the app."""

from registry.models.agency import STATE_KINDS, Agency, AgencyKind
from registry.models.auth import OAuthClient, RevokedToken, SigningKey
from registry.models.idempotency import IdempotencyRecord
from registry.models.sharing import RecordShare, SharedRecord, Visibility, VisibilityChange
from registry.models.subject import Identifier, Link, LinkSource, Subject, SubjectKind
from registry.models.violation import (
    CATEGORIES,
    GOODS_GROUPS,
    Decision,
    DecisionDocument,
    DocumentType,
    Violation,
    ViolationStatus,
    violation_identifier,
    violation_subject,
)
from registry.models.workflow import WorkflowRecord, WorkflowTransition

__all__ = [
    "CATEGORIES",
    "GOODS_GROUPS",
    "STATE_KINDS",
    "Agency",
    "AgencyKind",
    "Decision",
    "DecisionDocument",
    "DocumentType",
    "IdempotencyRecord",
    "Identifier",
    "Link",
    "LinkSource",
    "OAuthClient",
    "RecordShare",
    "RevokedToken",
    "SharedRecord",
    "SigningKey",
    "Subject",
    "SubjectKind",
    "Violation",
    "ViolationStatus",
    "Visibility",
    "VisibilityChange",
    "WorkflowRecord",
    "WorkflowTransition",
    "violation_identifier",
    "violation_subject",
]
