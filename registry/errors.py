"""Domain errors. They carry no HTTP; `registry.api.problems` maps each to a problem document.

A `detail` is English: a literal, or `msg(template, **values)` when it carries values
(registry/messages.py), so that it can be shown in the reader's language; so is each class's `title`."""

from __future__ import annotations

import uuid
from typing import Any

from registry.messages import msg


class RegistryError(Exception):
    """Base of every error the domain raises on purpose."""

    type_slug = "registry-error"
    title = msg("Registry error")

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(RegistryError):
    type_slug = "not-found"
    title = msg("Not found")


# What a record is called in a message ("No {what} with id {value}."): in English the record type as the
# texts have always read, in the reader's language where the message is shown.
_RECORD_NAMES = {
    "account": msg("account"),
    "block complaint": msg("block complaint"),
    "block request": msg("block request"),
    "block_request": msg("block_request"),
    "decision": msg("decision"),
    "export": msg("export"),
    "flag": msg("flag"),
    "freeze account": msg("freeze account"),
    "freeze order": msg("freeze order"),
    "freeze_order": msg("freeze_order"),
    "identifier": msg("identifier"),
    "link": msg("link"),
    "referral": msg("referral"),
    "screening": msg("screening"),
    "subject": msg("subject"),
    "tip": msg("tip"),
    "transaction delay": msg("transaction delay"),
    "transaction_delay": msg("transaction_delay"),
    "violation": msg("violation"),
}


def record_name(what: str) -> str:
    """The name of a kind of record for a message (a Message when the catalogue can translate it)."""
    return _RECORD_NAMES.get(what, what)


def id_or_not_found(value: Any, what: str) -> uuid.UUID:
    """A record id from any spelling; an id that cannot be one names no record, so NotFound."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound(msg("No {what} with id {value}.", what=record_name(what), value=value)) from None


class ValidationFailed(RegistryError):
    """Input that cannot be accepted; `errors` maps field names to messages."""

    type_slug = "validation-error"
    title = msg("Invalid input")

    def __init__(self, detail: str, errors: dict[str, Any] | None = None, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.errors = errors or {}


class DecisionNotGrounding(ValidationFailed):
    """The decision named exists but cannot yet ground the step (no document, ...)."""

    type_slug = "decision-not-grounding"
    title = msg("The decision cannot ground this step")


class Conflict(RegistryError):
    type_slug = "conflict"
    title = msg("Conflict")


class Duplicate(Conflict):
    """The record exists already; `existing` names it so the caller can use it."""

    type_slug = "duplicate"
    title = msg("Already exists")

    def __init__(self, detail: str, existing: str, **extra: Any) -> None:
        super().__init__(detail, existing=existing, **extra)
        self.existing = existing


class InvalidTransition(Conflict):
    type_slug = "invalid-transition"
    title = msg("Invalid state transition")

    def __init__(self, detail: str, current: str, allowed: list[str], **extra: Any) -> None:
        super().__init__(detail, current_state=current, allowed=sorted(allowed), **extra)


class PermissionDenied(RegistryError):
    type_slug = "forbidden"
    title = msg("Forbidden")


class Unauthenticated(RegistryError):
    type_slug = "unauthenticated"
    title = msg("Authentication required")


class Gone(RegistryError):
    """It existed and was removed on purpose (e.g. audit entries past retention, kept in the archive)."""

    type_slug = "gone"
    title = msg("Gone")


class NotConfigured(RegistryError):
    """Something an operator must set up first (e.g. the audit log's signing key in production)."""

    type_slug = "not-configured"
    title = msg("Not configured yet")
