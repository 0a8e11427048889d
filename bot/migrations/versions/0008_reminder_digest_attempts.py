"""reminders: when a digest line was last sent to Slack, so a retry can first look whether it got there

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminders_sent") as batch:
        batch.add_column(sa.Column("digest_attempted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reminders_sent") as batch:
        batch.drop_column("digest_attempted_at")
