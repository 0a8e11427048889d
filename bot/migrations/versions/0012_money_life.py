"""money life: refunds, payments recorded outside Stripe, corrections, clients that change, autopay

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_string = sqlmodel.sql.sqltypes.AutoString


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("preferred_locale", _string(length=8), nullable=True))
        batch.add_column(_timestamp("archived_at", nullable=True))
        batch.add_column(_timestamp("forgotten_at", nullable=True))
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("autopay", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_foreign_key("fk_clients_merged_into_id_clients", "clients", ["merged_into_id"], ["id"])
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("amount_refunded", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("replaces_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("replaced_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_invoices_replaces_id_invoices", "invoices", ["replaces_id"], ["id"])
        batch.create_foreign_key("fk_invoices_replaced_by_id_invoices", "invoices", ["replaced_by_id"], ["id"])
    op.create_table(
        "invoice_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _string(length=32), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("source", _string(length=16), nullable=False),
        sa.Column("method", _string(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", _string(length=3), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("reference", _string(length=100), nullable=True),
        sa.Column("stripe_payment_record_id", _string(length=64), nullable=True),
        sa.Column("stripe_payment_intent_id", _string(length=64), nullable=True),
        sa.Column("stripe_invoice_payment_id", _string(length=64), nullable=True),
        sa.Column("request_key", _string(length=128), nullable=True),
        sa.Column("created_by", _string(length=32), nullable=True),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "request_key", name="uq_invoice_payments_team_request_key"),
        sa.UniqueConstraint("stripe_invoice_payment_id", name="uq_invoice_payments_stripe_invoice_payment_id"),
    )
    op.create_index("ix_invoice_payments_team_invoice", "invoice_payments", ["team_id", "invoice_id"])
    op.create_table(
        "invoice_refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _string(length=32), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", _string(length=3), nullable=False),
        sa.Column("outside", sa.Boolean(), nullable=False),
        sa.Column("reason", _string(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", _string(length=16), nullable=False),
        sa.Column("stripe_credit_note_id", _string(length=64), nullable=True),
        sa.Column("stripe_refund_id", _string(length=64), nullable=True),
        sa.Column("failure_reason", _string(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("request_key", _string(length=128), nullable=True),
        sa.Column("created_by", _string(length=32), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "request_key", name="uq_invoice_refunds_team_request_key"),
    )
    op.create_index("ix_invoice_refunds_team_invoice", "invoice_refunds", ["team_id", "invoice_id"])
    op.create_table(
        "autopay_charges",
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("team_id", _string(length=32), nullable=False),
        _timestamp("charge_at"),
        sa.Column("state", _string(length=16), nullable=False),
        _timestamp("notified_at", nullable=True),
        _timestamp("claimed_until", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_by", _string(length=32), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"]),
        sa.PrimaryKeyConstraint("invoice_id"),
    )
    op.create_index("ix_autopay_charges_state_charge_at", "autopay_charges", ["state", "charge_at"])


def downgrade() -> None:
    op.drop_index("ix_autopay_charges_state_charge_at", table_name="autopay_charges")
    op.drop_table("autopay_charges")
    op.drop_index("ix_invoice_refunds_team_invoice", table_name="invoice_refunds")
    op.drop_table("invoice_refunds")
    op.drop_index("ix_invoice_payments_team_invoice", table_name="invoice_payments")
    op.drop_table("invoice_payments")
    with op.batch_alter_table("invoices") as batch:
        batch.drop_constraint("fk_invoices_replaced_by_id_invoices", type_="foreignkey")
        batch.drop_constraint("fk_invoices_replaces_id_invoices", type_="foreignkey")
        batch.drop_column("replaced_by_id")
        batch.drop_column("replaces_id")
        batch.drop_column("amount_refunded")
    with op.batch_alter_table("clients") as batch:
        batch.drop_constraint("fk_clients_merged_into_id_clients", type_="foreignkey")
        batch.drop_column("autopay")
        batch.drop_column("merged_into_id")
        batch.drop_column("forgotten_at")
        batch.drop_column("archived_at")
        batch.drop_column("preferred_locale")
