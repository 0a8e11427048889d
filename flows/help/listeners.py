"""The help flow's listeners: questions in, answers in threads, hand-overs, and the settings modal."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import modals, view_state
from bot.i18n import t
from bot.permissions import access, is_billing_admin
from bot.services import Services
from bot.slack_users import locale_for, member_today, usergroups
from flows.help import data_questions, ids, knowledge, logic, retrieval, text, views
from flows.help.views import Question

log = logging.getLogger(__name__)

# Message subtypes that are still a person asking something (a question with a screenshot attached).
_QUESTION_SUBTYPES = (None, "file_share")
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
QUESTION_MAX = 2000  # characters looked at: a pasted log is not a question we can answer better by reading all of it


def register(app: App, services: Services) -> None:
    def ack_now(ack: Ack) -> None:
        ack()

    def is_question(event: dict[str, Any], context: dict[str, Any]) -> bool:
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
        return logic.is_help_channel(services, context.get("team_id") or "", event.get("channel") or "")

    def answer_message(event: dict[str, Any], context: dict[str, Any], client: WebClient) -> None:
        answer(client, context["team_id"], event, thread=event["ts"])

    def answer_mention(event: dict[str, Any], context: dict[str, Any], client: WebClient) -> None:
        if event.get("bot_id") or not event.get("user") or event.get("user") == context.get("bot_user_id"):
            return
        # Mentioned inside a thread, the bot answers in that thread.
        answer(client, context["team_id"], event, thread=event.get("thread_ts") or event["ts"])

    def answer(client: WebClient, team_id: str, event: dict[str, Any], *, thread: str) -> None:
        channel, ts, user_id = event["channel"], event["ts"], event["user"]
        question_text = _MENTION.sub(" ", event.get("text") or "")[:QUESTION_MAX].strip()
        if not question_text or not services.db.claim_once(team_id, ids.QUESTION_CLAIM, f"{channel}:{ts}"):
            return
        try:
            fallback = locale_for(services.db, client, team_id, user_id, services.settings.default_locale)
            language = text.detect_language(question_text, default=fallback)
            question = Question(channel, ts, thread, language)
            topic, score = reply(client, team_id, user_id, question, question_text, event.get("channel_type"))
        except Exception:
            # Let the work queue's retry answer it: nothing was posted, or the post is what failed.
            services.db.release(team_id, ids.QUESTION_CLAIM, f"{channel}:{ts}")
            raise
        logic.log_question(services, team_id, channel, ts, user_id, topic, score, language)

    def reply(client: WebClient, team_id: str, user_id: str, question: Question, question_text: str,
              channel_type: str | None) -> tuple[str, float]:  # fmt: skip
        match = retrieval.index().match(question_text, question.language)
        names_invoice = data_questions.invoice_reference(question_text) is not None
        if match.topic == "invoice-status" or (names_invoice and match.topic == knowledge.HUMAN):
            today = member_today(services.db, client, team_id, user_id)
            reader = access(services.db, client, team_id, user_id)
            with services.db.session() as session:
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
            hand_over(client, team_id, user_id, question, unsure=True)
            return knowledge.HUMAN, match.score
        article = knowledge.article(match.topic, question.language)
        client.chat_postMessage(
            channel=question.channel, thread_ts=question.thread, **views.article_answer(article, question)
        )
        return match.topic, match.score

    def hand_over(client: WebClient, team_id: str, user_id: str, question: Question, *, unsure: bool) -> bool:
        """Say so in the thread and ping the support group or channel; False when it was already done."""
        if not services.db.claim_once(team_id, ids.HANDOVER_CLAIM, f"{question.channel}:{question.ts}"):
            return False
        try:
            settings = logic.load(services, team_id)
            language = question.language
            note = views.handover_text(
                language, unsure=unsure, group=settings.support_group, channel=settings.support_channel
            )
            client.chat_postMessage(channel=question.channel, thread_ts=question.thread, text=note)
        except Exception:
            services.db.release(team_id, ids.HANDOVER_CLAIM, f"{question.channel}:{question.ts}")
            raise
        if settings.support_channel:
            mention = f"<!subteam^{settings.support_group}> " if settings.support_group else ""
            link = permalink(client, question)
            ping = t(language, "help.ping", mention=mention, user=user_id, link=link)
            try:
                client.chat_postMessage(channel=settings.support_channel, text=ping)
            except SlackApiError as exc:
                # Not a member of the support channel: the thread note (and its group mention) still stands.
                log.warning("help hand-over ping to %s failed: %s", settings.support_channel, exc.response.get("error"))
        logic.mark(services, team_id, question.channel, question.ts, handed_over=True)
        return True

    def permalink(client: WebClient, question: Question) -> str:
        try:
            found = client.chat_getPermalink(channel=question.channel, message_ts=question.ts)
            return str(found.get("permalink") or "")
        except SlackApiError as exc:
            log.info("chat.getPermalink failed: %s", exc.response.get("error"))
            return ""

    # -- the answer's buttons -----------------------------------------------------------------------------

    def helped(body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        question = Question.from_value(body["actions"][0].get("value"))
        if question is None:
            return
        if services.db.claim_once(team_id, ids.HELPED_CLAIM, f"{question.channel}:{question.ts}:{user_id}"):
            logic.mark(services, team_id, question.channel, question.ts, helpful=True)
        tell(client, question, user_id, t(question.language, "help.helped.thanks"))

    def person(body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        question = Question.from_value(body["actions"][0].get("value"))
        if question is None:
            return
        if not hand_over(client, team_id, user_id, question, unsure=False):
            tell(client, question, user_id, t(question.language, "help.handover.already"))

    def tell(client: WebClient, question: Question, user_id: str, message: str) -> None:
        try:
            client.chat_postEphemeral(channel=question.channel, user=user_id, thread_ts=question.thread, text=message)
        except SlackApiError as exc:
            log.info("help ephemeral note failed: %s", exc.response.get("error"))

    def open_invoice(body: dict[str, Any], client: WebClient) -> None:
        from flows.invoices.modal import open_invoice_modal

        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_for(services.db, client, team_id, user_id, services.settings.default_locale)
        try:
            open_invoice_modal(services, client, trigger_id=body["trigger_id"], team_id=team_id, user_id=user_id,
                               locale=locale)  # fmt: skip
        except SlackApiError as exc:
            log.warning("opening the invoice modal from a help answer failed: %s", exc.response.get("error"))

    # -- the settings modal -------------------------------------------------------------------------------

    def validate_settings(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        locale = locale_for(services.db, client, body["team"]["id"], body["user"]["id"],
                            services.settings.default_locale)  # fmt: skip
        form, errors = _settings_form(view, locale)
        if form is None:
            ack(response_action="errors", errors=errors)
            return
        ack(response_action="update", view=views.notice_modal(locale, t(locale, "help.settings.saving")))

    def save_settings(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_for(services.db, client, team_id, user_id, services.settings.default_locale)
        form, _ = _settings_form(view, locale)
        if form is None:
            return
        if not is_billing_admin(services.db, client, team_id, user_id):
            modals.update_view(client, view["id"], views.notice_modal(locale, t(locale, "help.settings.forbidden")))
            return
        if form.support_group and form.support_group not in {g.id for g in usergroups(client)}:
            modals.update_view(
                client, view["id"], views.notice_modal(locale, t(locale, "help.settings.error.unknown_group"))
            )
            return
        logic.save(services, team_id, user_id, form)
        saved = views.saved_text(locale, form.channels, form.support_group, form.support_channel)
        modals.update_view(client, view["id"], views.notice_modal(locale, saved))

    app.event("message", matchers=[is_question])(ack=ack_now, lazy=[answer_message])
    # Every other message (other channels, bots, edits, joins, thread replies): acknowledged and ignored.
    app.event("message")(ack_now)
    app.event("app_mention")(ack=ack_now, lazy=[answer_mention])
    app.action(ids.HELPED_ACTION)(ack=ack_now, lazy=[helped])
    app.action(ids.PERSON_ACTION)(ack=ack_now, lazy=[person])
    app.action(ids.OPEN_INVOICE_ACTION)(ack=ack_now, lazy=[open_invoice])
    app.view(ids.SETTINGS_CALLBACK)(ack=validate_settings, lazy=[save_settings])


def open_settings(services: Services, client: WebClient, *, trigger_id: str, team_id: str, user_id: str,
                  locale: str) -> None:  # fmt: skip
    """`/billing help`: the help settings modal for billing admins, a short refusal for anyone else."""
    if not is_billing_admin(services.db, client, team_id, user_id):
        view = views.notice_modal(locale, t(locale, "help.settings.forbidden"))
    else:
        saved = logic.load(services, team_id)
        groups = usergroups(client)
        page = views.SettingsPage(locale, saved.channels, saved.support_group, saved.support_channel, groups)
        view = views.settings_modal(page)
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        log.warning("opening the help settings failed: %s", exc.response.get("error"))


def _settings_form(view: dict[str, Any], locale: str) -> tuple[logic.Settings | None, dict[str, str]]:
    values = view.get("state", {}).get("values", {})
    channels = view_state.element(values, ids.CHANNELS, ids.CHANNELS).get("selected_conversations") or []
    group = view_state.selected(values, ids.SUPPORT_GROUP, ids.SUPPORT_GROUP)
    support_channel = view_state.element(values, ids.SUPPORT_CHANNEL, ids.SUPPORT_CHANNEL).get("selected_conversation")
    if not isinstance(channels, list) or not isinstance(support_channel, str | None):
        return None, {ids.CHANNELS: t(locale, "help.settings.error.too_many", max=views.CHANNELS_MAX)}
    if len(channels) > views.CHANNELS_MAX:
        return None, {ids.CHANNELS: t(locale, "help.settings.error.too_many", max=views.CHANNELS_MAX)}
    unique = list(dict.fromkeys(str(c) for c in channels))
    return logic.Settings(unique, group if group and group != ids.NO_GROUP else None, support_channel or None), {}
