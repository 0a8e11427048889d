"""reports: indexes for a period's figures (invoices by day made and paid, payments, refunds, sessions)

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_invoices_team_created_at", "invoices", ["team_id", "created_at"]),
    ("ix_invoices_team_paid_at", "invoices", ["team_id", "paid_at"]),
    ("ix_invoice_payments_team_paid_on", "invoice_payments", ["team_id", "paid_on"]),
    ("ix_invoice_refunds_team_created_at", "invoice_refunds", ["team_id", "created_at"]),
    ("ix_appointments_team_held_on", "appointments", ["team_id", "held_on"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
