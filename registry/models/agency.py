"""Agencies: the tenants of the registry, with their kind, hierarchy and succession."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import Base, created_at


class AgencyKind(enum.StrEnum):
    STATE_BODY = "state_body"
    PROVINCE = "province"
    EXECUTOR_ISP = "executor_isp"
    EXECUTOR_BANK = "executor_bank"
    DOMAIN_REGISTRY = "domain_registry"
    ASSOCIATION = "association"
    OVERSIGHT = "oversight"
    # A foreign partner or CERT-style platform: pulls the exchange feeds (STIX, MISP, TAXII) and sees,
    # like an association, public records and those shared with it by name (services/exchange).
    PARTNER = "partner"


# Who counts as "all state agencies" for visibility. ISPs, banks, associations and partners are not state
# bodies.
STATE_KINDS = frozenset(
    {AgencyKind.STATE_BODY, AgencyKind.PROVINCE, AgencyKind.DOMAIN_REGISTRY, AgencyKind.OVERSIGHT}
)


class Agency(Base):
    __tablename__ = "agency"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(k.value) for k in AgencyKind)})", name="kind"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    bank_bin: Mapped[str | None] = mapped_column(
        String(8), comment="NAPAS BIN of an executor bank: the freeze orders it may see"
    )
    valid_from: Mapped[date] = mapped_column(Date, default=date(2000, 1, 1))
    valid_to: Mapped[date | None] = mapped_column(Date)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    created_at: Mapped[created_at]

    parent: Mapped[Agency | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    successor: Mapped[Agency | None] = relationship(remote_side=[id], foreign_keys=[successor_id])

    @property
    def is_state(self) -> bool:
        return self.kind in STATE_KINDS
