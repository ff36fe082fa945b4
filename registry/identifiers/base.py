"""Types shared by every identifier kind."""

from __future__ import annotations

from dataclasses import dataclass, field

SENSITIVE_KINDS = frozenset({"personal_id", "bank_account"})


class IdentifierError(ValueError):
    """A value that cannot be an identifier of its kind; `reason` is safe to show and to log."""

    def __init__(self, kind: str, reason: str, field: str = "value"):
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.field = field

    def __repr__(self) -> str:
        return f"IdentifierError(kind={self.kind!r}, field={self.field!r}, reason={self.reason!r})"


@dataclass(frozen=True, repr=False)
class ParsedIdentifier:
    kind: str
    value: str
    display: str
    attributes: dict = field(default_factory=dict)
    related: tuple[ParsedIdentifier, ...] = ()

    @property
    def sensitive(self) -> bool:
        # A 12-digit personal ID used as a tax code is still a personal ID.
        return self.kind in SENSITIVE_KINDS or bool(self.attributes.get("individual"))

    # Identity is (kind, value): attributes such as scheme_assumed or renumbered_from describe how the
    # input was spelled, so re-parsing the canonical value must compare equal.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ParsedIdentifier):
            return NotImplemented
        return (self.kind, self.value) == (other.kind, other.value)

    def __hash__(self) -> int:
        return hash((self.kind, self.value))

    # Sensitive values must not leak into logs or tracebacks through repr().
    def __repr__(self) -> str:
        value = "<redacted>" if self.sensitive else self.value
        return f"ParsedIdentifier(kind={self.kind!r}, value={value!r}, display={self.display!r})"
