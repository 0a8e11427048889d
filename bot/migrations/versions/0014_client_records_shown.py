"""client records shown: the response_url of a client's record a person is invoicing from, to redraw it

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_string = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "client_records_shown",
        sa.Column("team_id", _string(length=32), nullable=False),
        sa.Column("user_id", _string(length=32), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("response_url", sa.Text(), nullable=False),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "user_id", "client_id"),
    )
    op.create_index("ix_client_records_shown_shown_at", "client_records_shown", ["shown_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_client_records_shown_shown_at", table_name="client_records_shown")
    op.drop_table("client_records_shown")
