"""The invoice template's listeners: the modal's Save (validated in the ack, logo included), its Retry and
Preview, and the branding pushed to Stripe once payments are enabled."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks, modals
from bot.acks import ack_now
from bot.checklist import StepContext
from bot.i18n import t
from bot.permissions import is_billing_admin
from bot.services import Services
from bot.slack_users import locale_of
from bot.stripe_gateway import GatewayError
from flows.invoice_template import ids, logic, views
from flows.invoice_template.logo import Logo, LogoProblem, fetch, prepare
from flows.invoice_template.validation import Errors, TemplateForm, template_form

log = logging.getLogger(__name__)


class InvoiceTemplateListeners:
    """The invoice template flow's acks and lazy work, over the app's Services."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def _page(self, team_id: str, locale: str, status: str | None = None) -> views.TemplatePage:
        saved = logic.load(team_id, db=self.services.db)
        return views.TemplatePage(locale, saved, logic.default_practice_name(team_id, db=self.services.db), status)

    def open_step(self, step: StepContext) -> None:
        locale = step.locale
        if not is_billing_admin(self.services.db, step.client, step.team_id, step.user_id):
            step.tell(t(locale, "template.title"), t(locale, "template.forbidden"), t(locale, "common.close"))
            return
        step.open(views.template_modal(self._page(step.team_id, locale)))

    def _logo_of(self, client: WebClient, form: TemplateForm) -> Logo | None:
        if form.logo_file is None:
            return None
        return prepare(fetch(form.logo_file.url, client.token, self.services.settings.slack_api_url))

    def _checked(
        self, client: WebClient, values: dict[str, Any], locale: str
    ) -> tuple[TemplateForm | None, Logo | None, Errors]:
        form, errors = template_form(values, locale)
        logo = None
        if form is not None:
            try:
                logo = self._logo_of(client, form)
            except LogoProblem as problem:
                errors = {ids.LOGO: t(locale, problem.key, **problem.params)}
                form = None
        return form, logo, errors

    # -- Save ---------------------------------------------------------------------------------------------

    def validate(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        locale = locale_of(self.services, client, body["team"]["id"], body["user"]["id"])
        form, _, errors = self._checked(client, view.get("state", {}).get("values", {}), locale)
        if form is None:
            ack(response_action="errors", errors=errors)
            return
        saving = views.notice_modal(locale, t(locale, "template.saving"), metadata=form.to_json())
        ack(response_action="update", view=saving)

    def save_submitted(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        form, _ = template_form(view.get("state", {}).get("values", {}), locale)
        if form is not None:  # else the ack already showed the errors
            self._save_and_show(client, team_id, user_id, locale, form, view)

    def retry_save(self, body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        form = TemplateForm.from_json(body.get("view", {}).get("private_metadata") or "")
        if form is not None:
            self._save_and_show(client, team_id, user_id, locale, form, body["view"])

    def _save_and_show(
        self, client: WebClient, team_id: str, user_id: str, locale: str, form: TemplateForm, view: dict[str, Any]
    ) -> None:
        view_id = view["id"]
        if not is_billing_admin(self.services.db, client, team_id, user_id):
            modals.update_view(client, view_id, views.notice_modal(locale, t(locale, "template.forbidden")))
            return
        try:
            logo = self._logo_of(client, form)
        except LogoProblem as problem:
            detail = t(locale, problem.key, **problem.params)
            failed = views.notice_modal(
                locale, t(locale, "template.failed_logo", detail=detail), retry=True, metadata=form.to_json()
            )
            modals.update_view(client, view_id, failed)
            return
        try:
            saved = logic.save(self.services, team_id, user_id, form, logo)
        except GatewayError as exc:
            log.warning("saving the invoice template of %s failed at Stripe: %s (%s)", team_id, exc, exc.code)
            key = "template.failed_stripe" if exc.retryable else "template.refused_stripe"
            failed = views.notice_modal(
                locale, t(locale, key, detail=str(exc)[:500]), retry=exc.retryable, metadata=form.to_json()
            )
            modals.update_view(client, view_id, failed)
            return
        modals.update_view(
            client, view_id, views.notice_modal(locale, views.saved_text(locale, saved.row, saved.stripe))
        )
        self.services.checklist.step_changed(client, team_id, user_id, view)

    # -- Preview ------------------------------------------------------------------------------------------

    def preview(self, body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        view = body.get("view") or {}
        if not is_billing_admin(self.services.db, client, team_id, user_id) or not view.get("id"):
            return
        form, logo, errors = self._checked(client, view.get("state", {}).get("values", {}), locale)
        if form is None:
            problems = "\n".join(f"• {text}" for text in errors.values())
            status = t(locale, "template.preview.problems", problems=problems)
            modals.update_view(client, view["id"], views.template_modal(self._page(team_id, locale, status)))
            return
        png = logic.preview_png(team_id, locale, form, logo, db=self.services.db)
        try:
            # Posting to the user's id opens the DM with the bot (chat:write); its answer names the channel.
            posted = client.chat_postMessage(
                channel=user_id, text=t(locale, "template.preview.dm", design=views.design_name(locale, form.template))
            )
            client.files_upload_v2(
                file=png,
                filename="invoice-preview.png",
                title=t(locale, "template.preview"),
                channel=posted["channel"],
                thread_ts=posted["ts"],
            )
        except SlackApiError as exc:
            log.warning("sending the template preview failed: %s", exc.response.get("error"))
            status = t(locale, "template.preview.failed", detail=exc.response.get("error"))
            modals.update_view(client, view["id"], views.template_modal(self._page(team_id, locale, status)))
            return
        # Said where the person clicked, with the way there: the file went to their DM, behind the modal.
        where = blocks.app_messages_link(team_id, body.get("api_app_id"), t(locale, "template.preview.where"))
        status = t(locale, "template.preview.sent", where=where)
        modals.update_view(client, view["id"], views.template_modal(self._page(team_id, locale, status)))

    def on_payments_enabled(self, team_id: str) -> None:
        """A template saved before payments were set up brands the Stripe account once it exists."""
        logic.push_saved_branding(self.services, team_id)


def register(app: App, services: Services) -> None:
    listeners = InvoiceTemplateListeners(services)
    services.checklist.provide("invoice_template", is_done=logic.is_done, open_step=listeners.open_step)
    services.on_payments_enabled.append(listeners.on_payments_enabled)
    app.view(ids.TEMPLATE_CALLBACK)(ack=listeners.validate, lazy=[listeners.save_submitted])
    app.action(ids.RETRY_SAVE_ACTION)(ack=ack_now, lazy=[listeners.retry_save])
    app.action(ids.PREVIEW_ACTION)(ack=ack_now, lazy=[listeners.preview])
