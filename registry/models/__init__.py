"""Every mapped class, imported here so the metadata is complete for Alembic and the app."""

from registry.models.agency import STATE_KINDS, Agency, AgencyKind
from registry.models.auth import AccessGeneration, OAuthClient, RevokedToken, SigningKey
from registry.models.blocking import (
    BlockAcknowledgement,
    BlockAppeal,
    BlockExecutor,
    BlocklistSerial,
    BlockRequest,
    BlockTarget,
    ProtectedDomain,
    SharedInfrastructure,
    block_request_subject,
    block_request_violation,
)
from registry.models.complaint import BlockComplaint, ComplaintStatus
from registry.models.exchange import ExchangeExport, ExchangeExportObject
from registry.models.freezing import (
    FreezeAccount,
    FreezeOrder,
    FreezeOrderFlag,
    TransactionDelay,
    TransactionDelayNotice,
)
from registry.models.idempotency import IdempotencyRecord
from registry.models.public import PublicDigest, PublicDigestChange
from registry.models.reports import CaseSummary, CaseSummaryChange
from registry.models.screening import JobStatus, ScreeningJob, ScreeningJobPart
from registry.models.sharing import RecordShare, SharedRecord, Visibility, VisibilityChange
from registry.models.subject import Identifier, Link, LinkSource, Subject, SubjectKind
from registry.models.tip import TIP_CLOSED, Tip, TipAttachment, TipChallenge, TipLink, TipStatus
from registry.models.violation import (
    CATEGORIES,
    GOODS_GROUPS,
    Decision,
    DecisionDocument,
    DocumentType,
    IssuerConfirmation,
    Referral,
    SignatureStatus,
    TaxRecovery,
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
    "TIP_CLOSED",
    "AccessGeneration",
    "Agency",
    "AgencyKind",
    "BlockAcknowledgement",
    "BlockAppeal",
    "BlockComplaint",
    "BlockExecutor",
    "BlockRequest",
    "BlockTarget",
    "BlocklistSerial",
    "CaseSummary",
    "CaseSummaryChange",
    "ComplaintStatus",
    "Decision",
    "DecisionDocument",
    "DocumentType",
    "ExchangeExport",
    "ExchangeExportObject",
    "FreezeAccount",
    "FreezeOrder",
    "FreezeOrderFlag",
    "IdempotencyRecord",
    "Identifier",
    "IssuerConfirmation",
    "JobStatus",
    "Link",
    "LinkSource",
    "OAuthClient",
    "ProtectedDomain",
    "PublicDigest",
    "PublicDigestChange",
    "RecordShare",
    "Referral",
    "RevokedToken",
    "ScreeningJob",
    "ScreeningJobPart",
    "SharedInfrastructure",
    "SharedRecord",
    "SignatureStatus",
    "SigningKey",
    "Subject",
    "SubjectKind",
    "TaxRecovery",
    "Tip",
    "TipAttachment",
    "TipChallenge",
    "TipLink",
    "TipStatus",
    "TransactionDelay",
    "TransactionDelayNotice",
    "Violation",
    "ViolationStatus",
    "Visibility",
    "VisibilityChange",
    "WorkflowRecord",
    "WorkflowTransition",
    "block_request_subject",
    "block_request_violation",
    "violation_identifier",
    "violation_subject",
]
