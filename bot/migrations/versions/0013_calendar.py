"""calendar: feeds read from a practitioner's iCalendar address, their events, the rules that sort them

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_string = sqlmodel.sql.sqltypes.AutoString


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("appointments") as batch:
        batch.add_column(sa.Column("source", _string(length=16), nullable=False, server_default="typed"))
        batch.add_column(_timestamp("starts_at", nullable=True))
        batch.add_column(sa.Column("practitioner_id", _string(length=32), nullable=True))
        batch.add_column(sa.Column("calendar_flag", _string(length=16), nullable=True))
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _string(length=32), nullable=False),
        sa.Column("user_id", _string(length=32), nullable=False),
        sa.Column("source", _string(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("etag", _string(length=256), nullable=True),
        sa.Column("last_modified", _string(length=64), nullable=True),
        sa.Column("body_sha256", _string(length=64), nullable=True),
        sa.Column("default_service_id", sa.Integer(), nullable=True),
        sa.Column("no_show_service_id", sa.Integer(), nullable=True),
        sa.Column("prompt_on_end", sa.Boolean(), nullable=False),
        sa.Column("prompt_delay_minutes", sa.Integer(), nullable=False),
        sa.Column("timezone", _string(length=64), nullable=False),
        sa.Column("locale", _string(length=8), nullable=False),
        sa.Column("status", _string(length=16), nullable=False),
        sa.Column("last_error_key", _string(length=64), nullable=True),
        sa.Column("last_error_params", sa.Text(), nullable=True),
        sa.Column("failure_told", sa.Boolean(), nullable=False),
        _timestamp("last_synced_at", nullable=True),
        _timestamp("next_sync_at"),
        _timestamp("sync_claimed_until", nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.ForeignKeyConstraint(["default_service_id"], ["services.id"]),
        sa.ForeignKeyConstraint(["no_show_service_id"], ["services.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "user_id", name="uq_calendar_feeds_team_user"),
    )
    op.create_index("ix_calendar_feeds_next_sync_at", "calendar_feeds", ["next_sync_at"])
    op.create_table(
        "calendar_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _string(length=32), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("uid", _string(length=255), nullable=False),
        sa.Column("occurrence_key", _string(length=64), nullable=False),
        _timestamp("starts_at"),
        _timestamp("ends_at"),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("summary", _string(length=255), nullable=False),
        sa.Column("attendee_emails", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("status", _string(length=16), nullable=False),
        sa.Column("content_sha256", _string(length=64), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("matched_by", _string(length=16), nullable=True),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("prompt_state", _string(length=16), nullable=False),
        _timestamp("prompt_claimed_until", nullable=True),
        sa.Column("prompt_channel", _string(length=32), nullable=True),
        sa.Column("prompt_ts", _string(length=32), nullable=True),
        sa.Column("prompt_action", _string(length=16), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.ForeignKeyConstraint(["feed_id"], ["calendar_feeds.id"]),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"]),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointments.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("feed_id", "uid", "occurrence_key", name="uq_calendar_events_feed_uid_occurrence"),
    )
    op.create_index("ix_calendar_events_team_starts_at", "calendar_events", ["team_id", "starts_at"])
    op.create_index("ix_calendar_events_prompt_state_ends_at", "calendar_events", ["prompt_state", "ends_at"])
    op.create_table(
        "calendar_client_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _string(length=32), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("uid", _string(length=255), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("created_by", _string(length=32), nullable=True),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(["feed_id"], ["calendar_feeds.id"]),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("feed_id", "uid", name="uq_calendar_client_rules_feed_uid"),
    )
    op.create_table(
        "calendar_service_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _string(length=32), nullable=False),
        sa.Column("keyword", _string(length=100), nullable=False),
        sa.Column("keyword_key", _string(length=100), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("created_by", _string(length=32), nullable=True),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "keyword_key", name="uq_calendar_service_rules_team_keyword"),
    )


def downgrade() -> None:
    op.drop_table("calendar_service_rules")
    op.drop_table("calendar_client_rules")
    op.drop_index("ix_calendar_events_prompt_state_ends_at", table_name="calendar_events")
    op.drop_index("ix_calendar_events_team_starts_at", table_name="calendar_events")
    op.drop_table("calendar_events")
    op.drop_index("ix_calendar_feeds_next_sync_at", table_name="calendar_feeds")
    op.drop_table("calendar_feeds")
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("calendar_flag")
        batch.drop_column("practitioner_id")
        batch.drop_column("starts_at")
        batch.drop_column("source")
