"""stripe accounts, billing settings and tax rates

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 18:12:43.348063
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "billing_settings",
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("address_line1", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("address_line2", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("city", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("postal_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
        sa.Column("billing_admin_group", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id"),
    )
    op.create_table(
        "stripe_accounts",
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("account_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("connection", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("charges_enabled", sa.Boolean(), nullable=False),
        sa.Column("payouts_enabled", sa.Boolean(), nullable=False),
        sa.Column("details_submitted", sa.Boolean(), nullable=False),
        sa.Column("requirements_due", sa.Text(), server_default="[]", nullable=False),
        sa.Column("started_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id"),
        sa.UniqueConstraint("account_id", name="uq_stripe_accounts_account_id"),
    )
    op.create_table(
        "tax_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("percentage", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("inclusive", sa.Boolean(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
        sa.Column("stripe_tax_rate_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("stripe_account_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["replaces_id"],
            ["tax_rates.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tax_rates", schema=None) as batch_op:
        batch_op.create_index("ix_tax_rates_team_active", ["team_id", "active"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tax_rates", schema=None) as batch_op:
        batch_op.drop_index("ix_tax_rates_team_active")

    op.drop_table("tax_rates")
    op.drop_table("stripe_accounts")
    op.drop_table("billing_settings")
