"""The help flow's rows: where it listens, who takes over, and the log of questions answered."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.db import Database
from bot.models import HelpQuestion, HelpSettings, utcnow


@dataclass(frozen=True)
class Settings:
    channels: list[str]
    support_group: str | None
    support_channel: str | None


def load(team_id: str, *, db: Database) -> Settings:
    with db.session() as session:
        row = session.get(HelpSettings, team_id)
    if row is None:
        return Settings([], None, None)
    try:
        channels = [c for c in json.loads(row.channels) if isinstance(c, str)]
    except ValueError:
        channels = []
    return Settings(channels, row.support_group, row.support_channel)


def save(team_id: str, user_id: str, settings: Settings, *, db: Database) -> None:
    with db.write_lock(), db.session() as session:
        row = session.get(HelpSettings, team_id) or HelpSettings(team_id=team_id)
        row.channels = json.dumps(settings.channels)
        row.support_group = settings.support_group
        row.support_channel = settings.support_channel
        row.updated_by = user_id
        row.updated_at = utcnow()
        session.add(row)


def is_help_channel(team_id: str, channel_id: str, *, db: Database) -> bool:
    return channel_id in load(team_id, db=db).channels


def log_question(
    team_id: str, channel: str, ts: str, user_id: str, topic: str, score: float, language: str, *, db: Database
) -> None:
    row = HelpQuestion(
        team_id=team_id, channel_id=channel, message_ts=ts, user_id=user_id, topic=topic, score=score,
        language=language, handed_over=topic == "human",
    )  # fmt: skip
    try:
        with db.write_lock(), db.session() as session:
            session.add(row)
    except IntegrityError:
        pass  # a replay of work already done: the first log stands


def question(team_id: str, channel: str, ts: str, *, db: Database) -> HelpQuestion | None:
    with db.session() as session:
        return session.exec(
            select(HelpQuestion).where(
                HelpQuestion.team_id == team_id, HelpQuestion.channel_id == channel, HelpQuestion.message_ts == ts
            )
        ).first()


def mark(team_id: str, channel: str, ts: str, *, db: Database, helpful: bool | None = None,
         handed_over: bool | None = None) -> None:  # fmt: skip
    with db.write_lock(), db.session() as session:
        row = session.exec(
            select(HelpQuestion).where(
                HelpQuestion.team_id == team_id, HelpQuestion.channel_id == channel, HelpQuestion.message_ts == ts
            )
        ).first()
        if row is None:
            return
        if helpful is not None:
            row.helpful = helpful
        if handed_over is not None:
            row.handed_over = handed_over
        session.add(row)
