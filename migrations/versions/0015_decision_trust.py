"""Decisions as the trust anchor: the issuer's confirmation and the document's signature check

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

A decision recorded by an agency other than its issuer now waits for the issuer's confirmation before
anything may rest on it; existing records of that kind become `pending`. The digital signatures of
the uploaded document are checked against the trust list on upload; documents stored before this
revision are `unchecked` until `registry decisions check-signatures` has checked them (run it once
after upgrading, and again whenever the trust list changes).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import registry.db

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = registry.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("decision") as batch_op:
        batch_op.add_column(
            sa.Column(
                "recorded_by", sa.String(200), nullable=True, comment="officer, else client, recording it"
            )
        )
        batch_op.add_column(
            sa.Column("issuer_confirmation", sa.String(16), nullable=False, server_default="own")
        )
        batch_op.add_column(
            sa.Column("issuer_confirmed_by", sa.String(200), nullable=True, comment="officer of the issuer")
        )
        batch_op.add_column(sa.Column("issuer_confirmed_at", WHEN, nullable=True))
        batch_op.add_column(sa.Column("issuer_confirmation_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("document_uploaded_by", sa.String(200), nullable=True))
        batch_op.add_column(
            sa.Column("signature_status", sa.String(16), nullable=False, server_default="unchecked")
        )
        batch_op.add_column(
            sa.Column(
                "signatures",
                registry.db.JSONType,
                nullable=False,
                server_default="[]",
                comment="per signature: signer, certificate, time, findings",
            )
        )
        batch_op.add_column(sa.Column("signature_checked_at", WHEN, nullable=True))
        batch_op.add_column(sa.Column("signature_override_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("signature_override_by", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("signature_override_agency_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("signature_override_at", WHEN, nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_decision_signature_override_agency_id_agency"),
            "agency",
            ["signature_override_agency_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            op.f("ck_decision_issuer_confirmation"),
            "issuer_confirmation IN ('own', 'pending', 'confirmed', 'refused')",
        )
        batch_op.create_check_constraint(
            op.f("ck_decision_signature_status"),
            "signature_status IN ('unchecked', 'unsigned', 'verified', 'failed')",
        )
    op.execute(
        "UPDATE decision SET issuer_confirmation = 'pending' WHERE issuer_agency_id <> owner_agency_id"
    )


def downgrade() -> None:
    with op.batch_alter_table("decision") as batch_op:
        batch_op.drop_constraint(op.f("ck_decision_signature_status"), type_="check")
        batch_op.drop_constraint(op.f("ck_decision_issuer_confirmation"), type_="check")
        batch_op.drop_constraint(op.f("fk_decision_signature_override_agency_id_agency"), type_="foreignkey")
        for column in (
            "signature_override_at",
            "signature_override_agency_id",
            "signature_override_by",
            "signature_override_reason",
            "signature_checked_at",
            "signatures",
            "signature_status",
            "document_uploaded_by",
            "issuer_confirmation_note",
            "issuer_confirmed_at",
            "issuer_confirmed_by",
            "issuer_confirmation",
            "recorded_by",
        ):
            batch_op.drop_column(column)
