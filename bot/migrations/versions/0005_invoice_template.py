"""invoice templates: design, logo, colours, footer and payment terms

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 10:02:11.512300
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invoice_templates",
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("template", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("practice_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("primary_color", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("secondary_color", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("footer", sa.Text(), nullable=True),
        sa.Column("payment_terms_days", sa.Integer(), nullable=False),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_mime", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("logo_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("stripe_logo_file_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("stripe_account_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id"),
    )


def downgrade() -> None:
    op.drop_table("invoice_templates")
