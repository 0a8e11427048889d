"""billing settings: who sees client details and balances, and whether channel cards show them

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Both off for every practice already there: the private default applies until an admin widens it.
    with op.batch_alter_table("billing_settings") as batch:
        batch.add_column(
            sa.Column("members_see_client_details", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("full_channel_cards", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("billing_settings") as batch:
        batch.drop_column("full_channel_cards")
        batch.drop_column("members_see_client_details")
