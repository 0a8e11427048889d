"""Invoice template: `/billing template` and the checklist button open one modal with the design, logo, theme
colour, footer and payment terms of the practice's invoices; **Preview** sends a sample invoice as an image
by DM; saving pushes the logo and colours to the connected Stripe account's branding.

Listeners stay thin: the ack validates (the logo included: fetched from Slack and checked by its bytes, so a
bad file gets its inline error) and the lazy parts, run from the durable work queue, check who is asking,
save through ``logic`` and update the views.

For other flows: ``payment_terms_days(session, team_id)`` (the default due date of new invoices).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import modals
from bot.checklist import StepContext
from bot.i18n import t
from bot.permissions import is_billing_admin
from bot.services import Services
from bot.slack_users import locale_for
from bot.stripe_gateway import GatewayError
from flows.invoice_template import ids, logic, views
from flows.invoice_template.logic import payment_terms_days
from flows.invoice_template.logo import Logo, LogoProblem, fetch, prepare
from flows.invoice_template.validation import Errors, TemplateForm, template_form

log = logging.getLogger(__name__)

SLASH_COMMANDS: tuple[str, ...] = ()  # `/billing template` is the hub's command; it calls open_step
SHORTCUTS: tuple[str, ...] = ()
EVENTS: tuple[str, ...] = ()

__all__ = ["EVENTS", "SHORTCUTS", "SLASH_COMMANDS", "payment_terms_days", "register"]


def register(app: App, services: Services) -> None:
    def locale_of(client: WebClient, team_id: str, user_id: str) -> str:
        return locale_for(services.db, client, team_id, user_id, services.settings.default_locale)

    def page(team_id: str, locale: str, status: str | None = None) -> views.TemplatePage:
        saved = logic.load(services, team_id)
        return views.TemplatePage(locale, saved, logic.default_practice_name(services, team_id), status)

    def open_step(step: StepContext) -> None:
        locale = step.locale
        if not is_billing_admin(services.db, step.client, step.team_id, step.user_id):
            step.tell(t(locale, "template.title"), t(locale, "template.forbidden"), t(locale, "common.close"))
            return
        step.open(views.template_modal(page(step.team_id, locale)))

    def logo_of(client: WebClient, form: TemplateForm) -> Logo | None:
        if form.logo_file is None:
            return None
        return prepare(fetch(form.logo_file.url, client.token, services.settings.slack_api_url))

    def checked(
        client: WebClient, values: dict[str, Any], locale: str
    ) -> tuple[TemplateForm | None, Logo | None, Errors]:
        form, errors = template_form(values, locale)
        logo = None
        if form is not None:
            try:
                logo = logo_of(client, form)
            except LogoProblem as problem:
                errors = {ids.LOGO: t(locale, problem.key, **problem.params)}
                form = None
        return form, logo, errors

    # -- Save ---------------------------------------------------------------------------------------------

    def validate(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        locale = locale_of(client, body["team"]["id"], body["user"]["id"])
        form, _, errors = checked(client, view.get("state", {}).get("values", {}), locale)
        if form is None:
            ack(response_action="errors", errors=errors)
            return
        ack(response_action="update", view=views.notice_modal(locale, t(locale, "template.saving"),
                                                             metadata=form.to_json()))  # fmt: skip

    def save_submitted(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(client, team_id, user_id)
        form, _ = template_form(view.get("state", {}).get("values", {}), locale)
        if form is not None:  # else the ack already showed the errors
            save_and_show(client, team_id, user_id, locale, form, view["id"])

    def retry_save(body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(client, team_id, user_id)
        form = TemplateForm.from_json(body.get("view", {}).get("private_metadata") or "")
        if form is not None:
            save_and_show(client, team_id, user_id, locale, form, body["view"]["id"])

    def save_and_show(
        client: WebClient, team_id: str, user_id: str, locale: str, form: TemplateForm, view_id: str
    ) -> None:
        if not is_billing_admin(services.db, client, team_id, user_id):
            modals.update_view(client, view_id, views.notice_modal(locale, t(locale, "template.forbidden")))
            return
        try:
            logo = logo_of(client, form)
        except LogoProblem as problem:
            detail = t(locale, problem.key, **problem.params)
            failed = views.notice_modal(
                locale, t(locale, "template.failed_logo", detail=detail), retry=True, metadata=form.to_json()
            )
            modals.update_view(client, view_id, failed)
            return
        try:
            saved = logic.save(services, team_id, user_id, form, logo)
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

    # -- Preview ------------------------------------------------------------------------------------------

    def preview(body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(client, team_id, user_id)
        view = body.get("view") or {}
        if not is_billing_admin(services.db, client, team_id, user_id) or not view.get("id"):
            return
        form, logo, errors = checked(client, view.get("state", {}).get("values", {}), locale)
        if form is None:
            problems = "\n".join(f"• {text}" for text in errors.values())
            status = t(locale, "template.preview.problems", problems=problems)
            modals.update_view(client, view["id"], views.template_modal(page(team_id, locale, status)))
            return
        png = logic.preview_png(services, team_id, locale, form, logo)
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
            modals.update_view(client, view["id"], views.template_modal(page(team_id, locale, status)))
            return
        status = t(locale, "template.preview.sent")
        modals.update_view(client, view["id"], views.template_modal(page(team_id, locale, status)))

    def ack_now(ack: Ack) -> None:
        ack()

    services.checklist.provide("invoice_template", is_done=logic.is_done, open_step=open_step)
    # A template saved before payments were set up brands the Stripe account once it exists.
    services.on_payments_enabled.append(lambda team_id: logic.push_saved_branding(services, team_id))
    app.view(ids.TEMPLATE_CALLBACK)(ack=validate, lazy=[save_submitted])
    app.action(ids.RETRY_SAVE_ACTION)(ack=ack_now, lazy=[retry_save])
    app.action(ids.PREVIEW_ACTION)(ack=ack_now, lazy=[preview])
