"""Block Kit for the help flow: answers in threads, hand-over notes, and the `/billing help` settings modal."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot import blocks
from bot.blocks import Block, Element
from bot.checklist import OPEN_STEP_ACTION
from bot.i18n import t
from bot.slack_users import Usergroup as Group
from flows.clients import NEW_CLIENT_ACTION
from flows.help import ids
from flows.help.knowledge import Article

CHANNELS_MAX = 20


@dataclass(frozen=True)
class Question:
    """Where a question was asked; the answer's buttons carry it back to us."""

    channel: str
    ts: str  # the question's own message
    thread: str  # the thread the answer went to (the question's ts, or the thread it was asked in)
    language: str

    def value(self) -> str:
        data = {"c": self.channel, "ts": self.ts, "th": self.thread, "l": self.language}
        return json.dumps(data, separators=(",", ":"))

    @staticmethod
    def from_value(value: str | None) -> Question | None:
        try:
            data = json.loads(value or "")
            question = Question(str(data["c"]), str(data["ts"]), str(data["th"]), str(data["l"]))
        except (ValueError, KeyError, TypeError):
            return None
        return question if question.language in ("en", "fr") else None


def opens_a_step(article: Article | None) -> bool:
    """Its button opens a set-up step, which only billing admins may change."""
    return article is not None and article.action is not None and article.action.startswith("step:")


def _action_button(article: Article, may_open_steps: bool) -> Element | None:
    """The button that opens the article's step: the checklist's own action, or the invoice/client modal.

    A set-up step's button is left out for an asker who may not change it: it would only lead to a refusal.
    """
    if article.action is None or article.button is None:
        return None
    if article.action.startswith("step:"):
        if not may_open_steps:
            return None
        return blocks.button(article.button, OPEN_STEP_ACTION, value=article.action.removeprefix("step:"))
    if article.action == "invoice":
        return blocks.button(article.button, ids.OPEN_INVOICE_ACTION, value="open")
    return blocks.button(article.button, NEW_CLIENT_ACTION, value="")


def _feedback(question: Question) -> list[Element]:
    language = question.language
    return [
        blocks.button(t(language, "help.answer.helped"), ids.HELPED_ACTION, value=question.value()),
        blocks.button(t(language, "help.answer.person"), ids.PERSON_ACTION, value=question.value()),
    ]


def _admins_only(article: Article | None, question: Question, may_open_steps: bool) -> list[Block]:
    if may_open_steps or not opens_a_step(article):
        return []
    return [blocks.context(t(question.language, "help.answer.admins_only"))]


def article_answer(article: Article, question: Question, *, may_open_steps: bool) -> dict[str, Any]:
    """An article as a thread reply: title, steps, the step's button, then "That helped" / "Talk to a person"."""
    elements = [b for b in (_action_button(article, may_open_steps),) if b is not None]
    if elements:
        elements[0]["style"] = "primary"
    result: list[Block] = [
        blocks.section(f"*{article.title}*\n{article.body}", block_id="help_article"),
        blocks.actions(*elements, *_feedback(question), block_id="help_actions"),
        *_admins_only(article, question, may_open_steps),
        blocks.context(t(question.language, "help.answer.context")),
    ]
    return {"text": article.title, "blocks": result}


def not_supported_answer(
    article: Article, says: str, nearest: Article | None, question: Question, *, may_open_steps: bool
) -> dict[str, Any]:
    """Something Billbot does not do: says so, the closest thing's button if it has one, and "Talk to a person"."""
    button = _action_button(nearest, may_open_steps) if nearest is not None else None
    elements = [b for b in (button,) if b is not None]
    result: list[Block] = [
        blocks.section(f"*{article.title}*\n{says}\n{article.body}", block_id="help_not_supported"),
        blocks.actions(*elements, *_feedback(question), block_id="help_actions"),
        *_admins_only(nearest, question, may_open_steps),
    ]
    return {"text": f"{article.title}: {says}", "blocks": result}


def data_answer(answer_text: str, question: Question, *, private: bool) -> dict[str, Any]:
    result: list[Block] = [
        blocks.section(answer_text, block_id="help_data"),
        blocks.actions(*_feedback(question), block_id="help_actions"),
    ]
    if private:
        result.append(blocks.context(t(question.language, "help.answer.private")))
    return {"text": answer_text, "blocks": result}


def handover_text(language: str, *, unsure: bool, group: str | None, channel: str | None) -> str:
    lines = [t(language, "help.handover.unsure")] if unsure else []
    if group:
        lines.append(t(language, "help.handover.group", group=group))
    elif channel:
        lines.append(t(language, "help.handover.channel", channel=channel))
    else:
        lines.append(t(language, "help.handover.nobody"))
    return "\n".join(lines)


# -- the settings modal ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingsPage:
    locale: str
    channels: list[str]
    support_group: str | None
    support_channel: str | None
    groups: list[Group]


def settings_modal(page: SettingsPage) -> dict[str, Any]:
    locale = page.locale
    result: list[Block] = [
        blocks.section(t(locale, "help.settings.intro"), block_id="help_intro"),
        blocks.input_block(
            t(locale, "help.settings.channels"),
            blocks.multi_conversations_select(
                ids.CHANNELS,
                initial_conversations=page.channels[:CHANNELS_MAX] or None,
                placeholder=t(locale, "help.settings.channels.placeholder"),
                include=("public", "private"),
                max_selected_items=CHANNELS_MAX,
            ),
            block_id=ids.CHANNELS,
            optional=True,
            hint=t(locale, "help.settings.channels.hint"),
        ),
    ]
    if page.groups:
        nobody = blocks.option(t(locale, "help.settings.group.nobody"), ids.NO_GROUP)
        options = [nobody] + [blocks.option(f"@{g.handle} ({g.name})", g.id) for g in page.groups[:99]]
        initial = next((o for o in options if o["value"] == page.support_group), nobody)
        result.append(
            blocks.input_block(
                t(locale, "help.settings.group"),
                blocks.static_select(ids.SUPPORT_GROUP, options=options, initial_option=initial),
                block_id=ids.SUPPORT_GROUP,
                optional=True,
                hint=t(locale, "help.settings.group.hint"),
            )
        )
    else:
        result.append(blocks.context(t(locale, "help.settings.group.none_in_workspace")))
    result.append(
        blocks.input_block(
            t(locale, "help.settings.channel"),
            blocks.conversations_select(
                ids.SUPPORT_CHANNEL,
                initial_conversation=page.support_channel,
                placeholder=t(locale, "help.settings.channel.placeholder"),
            ),
            block_id=ids.SUPPORT_CHANNEL,
            optional=True,
            hint=t(locale, "help.settings.channel.hint"),
        )
    )
    return blocks.modal(
        t(locale, "help.settings.title"),
        result,
        callback_id=ids.SETTINGS_CALLBACK,
        close=t(locale, "help.settings.cancel"),
        submit=t(locale, "help.settings.save"),
    )


def notice_modal(locale: str, text: str) -> dict[str, Any]:
    return blocks.notice_modal(
        t(locale, "help.settings.title"), text, callback_id=ids.NOTICE_CALLBACK, close=t(locale, "common.close")
    )


def saved_text(locale: str, channels: list[str], group: str | None, channel: str | None) -> str:
    if channels:
        lines = [t(locale, "help.settings.saved", channels=", ".join(f"<#{c}>" for c in channels))]
    else:
        lines = [t(locale, "help.settings.saved.no_channels")]
    support = [f"<!subteam^{group}>"] if group else []
    support += [f"<#{channel}>"] if channel else []
    if support:
        lines.append(t(locale, "help.settings.saved.support", support=" · ".join(support)))
    else:
        lines.append(t(locale, "help.settings.saved.no_support"))
    return "\n".join(lines)
