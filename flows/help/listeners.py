"""The help flow's listeners: questions in, answers in threads, hand-overs, and the settings modal."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks, modals
from bot.acks import ack_now
from bot.i18n import t
from bot.permissions import access, is_billing_admin
from bot.services import Services
from bot.slack_users import locale_of, member_today, usergroups
from bot.work_queue import trigger_bound
from flows.help import data_questions, ids, knowledge, logic, retrieval, text, validation, views
from flows.help.views import Question

log = logging.getLogger(__name__)

# Message subtypes that are still a person asking something (a question with a screenshot attached).
_QUESTION_SUBTYPES = (None, "file_share")
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
QUESTION_MAX = 2000  # characters looked at: a pasted log is not a question we can answer better by reading all of it


class HelpListeners:
    """The help flow's acks and lazy work, over the app's Services."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def is_question(self, event: dict[str, Any], context: dict[str, Any]) -> bool:
        """A person's new top-level message in a DM with the bot or in a help channel (cheap: runs in the ack)."""
        bot_user = context.get("bot_user_id")
        user = event.get("user")
        if event.get("subtype") not in _QUESTION_SUBTYPES or event.get("bot_id") or not user or user == bot_user:
            return False
        if event.get("thread_ts") not in (None, event.get("ts")) or not (event.get("text") or "").strip():
            return False
        channel_type = event.get("channel_type")
        if channel_type == "im":
            return True
        if bot_user and f"<@{bot_user}>" in (event.get("text") or ""):
            return False  # the app_mention event of the same message answers it
        if channel_type not in ("channel", "group"):
            return False
        return logic.is_help_channel(context.get("team_id") or "", event.get("channel") or "", db=self.services.db)

    def answer_message(self, event: dict[str, Any], context: dict[str, Any], client: WebClient) -> None:
        self._answer(client, context["team_id"], event, thread=event["ts"])

    def answer_mention(self, event: dict[str, Any], context: dict[str, Any], client: WebClient) -> None:
        if event.get("bot_id") or not event.get("user") or event.get("user") == context.get("bot_user_id"):
            return
        # Mentioned inside a thread, the bot answers in that thread.
        self._answer(client, context["team_id"], event, thread=event.get("thread_ts") or event["ts"])

    def _answer(self, client: WebClient, team_id: str, event: dict[str, Any], *, thread: str) -> None:
        channel, ts, user_id = event["channel"], event["ts"], event["user"]
        question_text = _MENTION.sub(" ", event.get("text") or "")[:QUESTION_MAX].strip()
        if not question_text or not self.services.db.claim_once(team_id, ids.QUESTION_CLAIM, f"{channel}:{ts}"):
            return
        try:
            fallback = locale_of(self.services, client, team_id, user_id)
            language = text.detect_language(question_text, default=fallback)
            question = Question(channel, ts, thread, language)
            topic, score = self._reply(client, team_id, user_id, question, question_text, event.get("channel_type"))
        except Exception:
            # Let the work queue's retry answer it: nothing was posted, or the post is what failed.
            self.services.db.release(team_id, ids.QUESTION_CLAIM, f"{channel}:{ts}")
            raise
        logic.log_question(team_id, channel, ts, user_id, topic, score, language, db=self.services.db)

    def _reply(self, client: WebClient, team_id: str, user_id: str, question: Question, question_text: str,
              channel_type: str | None) -> tuple[str, float]:  # fmt: skip
        match = retrieval.index().match(question_text, question.language)
        names_invoice = data_questions.invoice_reference(question_text) is not None
        figures = data_questions.asks_figures(question_text)  # the report's questions, whatever the match
        if match.topic == "invoice-status" or (names_invoice and match.topic == knowledge.HUMAN) or figures:
            today = member_today(self.services.db, client, team_id, user_id)
            reader = access(self.services.db, client, team_id, user_id)
            with self.services.db.session() as session:
                found = data_questions.answer(session, team_id, question_text, question.language, today, reader)
            if found is not None:
                message = views.data_answer(found.text, question, private=found.private)
                if found.private and channel_type != "im":
                    client.chat_postEphemeral(channel=question.channel, user=user_id, thread_ts=question.thread,
                                              **message)  # fmt: skip
                else:
                    client.chat_postMessage(channel=question.channel, thread_ts=question.thread, **message)
                return "data", match.score
        if match.topic == knowledge.HUMAN:
            self._hand_over(client, team_id, user_id, question, unsure=True)
            return knowledge.HUMAN, match.score
        if match.topic == knowledge.NOT_SUPPORTED and match.subject is not None:
            subject = knowledge.subject(match.subject, question.language)
            nearest = knowledge.article(subject.nearest, question.language) if subject.nearest else None
            may_open = views.opens_a_step(nearest) and is_billing_admin(self.services.db, client, team_id, user_id)
            message = views.not_supported_answer(
                knowledge.article(knowledge.NOT_SUPPORTED, question.language),
                subject.says,
                nearest,
                question,
                may_open_steps=may_open,
            )
            client.chat_postMessage(channel=question.channel, thread_ts=question.thread, **message)
            return knowledge.NOT_SUPPORTED, match.score
        article = knowledge.article(match.topic, question.language)
        may_open = views.opens_a_step(article) and is_billing_admin(self.services.db, client, team_id, user_id)
        client.chat_postMessage(
            channel=question.channel,
            thread_ts=question.thread,
            **views.article_answer(article, question, may_open_steps=may_open),
        )
        return match.topic, match.score

    def _hand_over(self, client: WebClient, team_id: str, user_id: str, question: Question, *, unsure: bool) -> bool:
        """Say so in the thread and ping the support group or channel; False when it was already done."""
        if not self.services.db.claim_once(team_id, ids.HANDOVER_CLAIM, f"{question.channel}:{question.ts}"):
            return False
        try:
            settings = logic.load(team_id, db=self.services.db)
            language = question.language
            note = views.handover_text(
                language, unsure=unsure, group=settings.support_group, channel=settings.support_channel
            )
            client.chat_postMessage(channel=question.channel, thread_ts=question.thread, text=note)
        except Exception:
            self.services.db.release(team_id, ids.HANDOVER_CLAIM, f"{question.channel}:{question.ts}")
            raise
        if settings.support_channel:
            mention = f"<!subteam^{settings.support_group}> " if settings.support_group else ""
            link = self._permalink(client, question)
            ping = t(language, "help.ping", mention=mention, user=user_id, link=link)
            try:
                client.chat_postMessage(channel=settings.support_channel, text=ping)
            except SlackApiError as exc:
                # Not a member of the support channel: the thread note (and its group mention) still stands.
                log.warning("help hand-over ping to %s failed: %s", settings.support_channel, exc.response.get("error"))
        logic.mark(team_id, question.channel, question.ts, db=self.services.db, handed_over=True)
        return True

    def _permalink(self, client: WebClient, question: Question) -> str:
        try:
            found = client.chat_getPermalink(channel=question.channel, message_ts=question.ts)
            return str(found.get("permalink") or "")
        except SlackApiError as exc:
            log.info("chat.getPermalink failed: %s", exc.response.get("error"))
            return ""

    # -- the answer's buttons -----------------------------------------------------------------------------

    def helped(self, body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        question = Question.from_value(body["actions"][0].get("value"))
        if question is None:
            return
        if self.services.db.claim_once(team_id, ids.HELPED_CLAIM, f"{question.channel}:{question.ts}:{user_id}"):
            logic.mark(team_id, question.channel, question.ts, db=self.services.db, helpful=True)
        self._tell(client, question, user_id, t(question.language, "help.helped.thanks"))

    def person(self, body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        question = Question.from_value(body["actions"][0].get("value"))
        if question is None:
            return
        if not self._hand_over(client, team_id, user_id, question, unsure=False):
            self._tell(client, question, user_id, t(question.language, "help.handover.already"))

    def _tell(self, client: WebClient, question: Question, user_id: str, message: str) -> None:
        try:
            client.chat_postEphemeral(channel=question.channel, user=user_id, thread_ts=question.thread, text=message)
        except SlackApiError as exc:
            log.info("help ephemeral note failed: %s", exc.response.get("error"))

    @trigger_bound
    def open_invoice(self, body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        invoice_modal = self.services.invoice_modal
        try:
            if invoice_modal is None:
                log.warning("no invoice modal to open from a help answer: the invoices flow is not registered")
                client.views_open(trigger_id=body["trigger_id"], view=_invoices_unavailable(locale))
                return
            invoice_modal.open(client, trigger_id=body["trigger_id"], team_id=team_id, user_id=user_id, locale=locale)
        except SlackApiError as exc:
            log.warning("opening the invoice modal from a help answer failed: %s", exc.response.get("error"))

    # -- the settings modal -------------------------------------------------------------------------------

    def validate_settings(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        locale = locale_of(self.services, client, body["team"]["id"], body["user"]["id"])
        form, errors = validation.settings_form(view, locale)
        if form is None:
            ack(response_action="errors", errors=errors)
            return
        ack(response_action="update", view=views.notice_modal(locale, t(locale, "help.settings.saving")))

    def save_settings(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        form, _ = validation.settings_form(view, locale)
        if form is None:
            return
        if not is_billing_admin(self.services.db, client, team_id, user_id):
            modals.update_view(client, view["id"], views.notice_modal(locale, t(locale, "help.settings.forbidden")))
            return
        if form.support_group and form.support_group not in {g.id for g in usergroups(client)}:
            modals.update_view(
                client, view["id"], views.notice_modal(locale, t(locale, "help.settings.error.unknown_group"))
            )
            return
        logic.save(team_id, user_id, form, db=self.services.db)
        saved = views.saved_text(locale, form.channels, form.support_group, form.support_channel)
        modals.update_view(client, view["id"], views.notice_modal(locale, saved))


def register(app: App, services: Services) -> None:
    listeners = HelpListeners(services)
    app.event("message", matchers=[listeners.is_question])(ack=ack_now, lazy=[listeners.answer_message])
    # Every other message (other channels, bots, edits, joins, thread replies): acknowledged and ignored.
    app.event("message")(ack_now)
    app.event("app_mention")(ack=ack_now, lazy=[listeners.answer_mention])
    app.action(ids.HELPED_ACTION)(ack=ack_now, lazy=[listeners.helped])
    app.action(ids.PERSON_ACTION)(ack=ack_now, lazy=[listeners.person])
    app.action(ids.OPEN_INVOICE_ACTION)(ack=ack_now, lazy=[listeners.open_invoice])
    app.view(ids.SETTINGS_CALLBACK)(ack=listeners.validate_settings, lazy=[listeners.save_settings])


def _invoices_unavailable(locale: str) -> dict[str, Any]:
    title = t(locale, "invoice_modal.title")
    text = t(locale, "common.coming_soon", feature=title)
    return blocks.notice_modal(title, text, callback_id=ids.NOTICE_CALLBACK, close=t(locale, "common.close"))


def open_settings(services: Services, client: WebClient, *, trigger_id: str, team_id: str, user_id: str,
                  locale: str) -> None:  # fmt: skip
    """`/billing help`: the help settings modal for billing admins, a short refusal for anyone else."""
    if not is_billing_admin(services.db, client, team_id, user_id):
        view = views.notice_modal(locale, t(locale, "help.settings.forbidden"))
    else:
        saved = logic.load(team_id, db=services.db)
        groups = usergroups(client)
        page = views.SettingsPage(locale, saved.channels, saved.support_group, saved.support_channel, groups)
        view = views.settings_modal(page)
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        log.warning("opening the help settings failed: %s", exc.response.get("error"))
