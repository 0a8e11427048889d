"""payment reminders: the rules, the exactly-once claims, holds per invoice, and the sweep's index

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminder_settings",
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("offsets", sa.Text(), server_default="[-3, 0, 7]", nullable=False),
        sa.Column("email_client", sa.Boolean(), nullable=False),
        sa.Column("tell_team", sa.Boolean(), nullable=False),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("send_minute", sa.Integer(), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("active_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id"),
    )
    op.create_table(
        "reminders_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("emailed", sa.Boolean(), nullable=False),
        sa.Column("digest_channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("digest_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invoice_id", "rule", name="uq_reminders_sent_invoice_rule"),
    )
    op.create_index("ix_reminders_sent_state_claimed_until", "reminders_sent", ["state", "claimed_until"])
    op.create_index("ix_reminders_sent_team_due_at", "reminders_sent", ["team_id", "due_at"])
    op.create_table(
        "invoice_reminder_holds",
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("stopped", sa.Boolean(), nullable=False),
        sa.Column("snoozed_until", sa.Date(), nullable=True),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"]),
        sa.PrimaryKeyConstraint("invoice_id"),
    )
    # The sweep's one read: open invoices by due date, every workspace at once (team_id makes it covering).
    op.create_index("ix_invoices_status_due_date", "invoices", ["status", "due_date", "team_id"])


def downgrade() -> None:
    op.drop_index("ix_invoices_status_due_date", table_name="invoices")
    op.drop_table("invoice_reminder_holds")
    op.drop_index("ix_reminders_sent_team_due_at", table_name="reminders_sent")
    op.drop_index("ix_reminders_sent_state_claimed_until", table_name="reminders_sent")
    op.drop_table("reminders_sent")
    op.drop_table("reminder_settings")
