"""The billing settings' listeners: the settings modal's Save and Retry, and the tax rates' add, edit, archive
and Retry (each mirrored on Stripe)."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import countries, modals, view_state
from bot.acks import ack_now
from bot.checklist import StepContext
from bot.i18n import t
from bot.models import TaxRate
from bot.permissions import is_billing_admin
from bot.services import Services
from bot.slack_users import locale_of, member, usergroups, workspace_locale
from bot.stripe_gateway import GatewayError
from bot.work_queue import trigger_bound
from flows.billing_settings import currencies, ids, logic, validation, views

log = logging.getLogger(__name__)


class BillingSettingsListeners:
    """The billing settings flow's acks and lazy work, over the app's Services."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def _may_change_group(self, client: WebClient, team_id: str, user_id: str) -> bool:
        profile = member(self.services.db, client, team_id, user_id)
        return profile.is_admin or profile.is_owner

    def _page(
        self, client: WebClient, team_id: str, user_id: str, locale: str, banner: views.Banner | None = None
    ) -> views.SettingsPage:
        saved = logic.load_settings(team_id, db=self.services.db)
        groups = usergroups(client)
        current = saved.billing_admin_group if saved else None
        slack_locale = member(self.services.db, client, team_id, user_id).locale
        return views.SettingsPage(
            locale=locale,
            settings=saved,
            rates=logic.active_rates(team_id, db=self.services.db),
            default_currency=currencies.default_currency(slack_locale, locale),
            has_stripe_account=logic.stripe_account(team_id, db=self.services.db) is not None,
            groups=groups if self._may_change_group(client, team_id, user_id) else None,
            current_group=next((g for g in groups if g.id == current), None),
            banner=banner,
            channel_locale=workspace_locale(self.services.db, team_id, self.services.settings.default_locale),
        )

    def open_step(self, step: StepContext) -> None:
        locale = step.locale
        if not is_billing_admin(self.services.db, step.client, step.team_id, step.user_id):
            step.tell(t(locale, "bs.title"), t(locale, "bs.forbidden"), t(locale, "common.close"))
            return
        step.open(views.settings_modal(self._page(step.client, step.team_id, step.user_id, locale)))

    # -- the settings modal's country -----------------------------------------------------------------------

    def country_chosen(self, body: dict[str, Any], client: WebClient) -> None:
        """A country chosen in the settings modal: its postal code field redrawn as required or not."""
        view = body.get("view") or {}
        if view.get("type") != "modal" or not view.get("id"):
            return
        locale = locale_of(self.services, client, body["team"]["id"], body["user"]["id"])
        country = view_state.selected(view.get("state", {}).get("values", {}), ids.COUNTRY)
        if country is not None and not countries.is_country(country):
            country = None  # a forged value: Save says so
        # The hash: a modal changed meanwhile (Save pressed, a rate added) is not overwritten with this one.
        modals.update_view(client, view["id"], views.with_country(view, locale, country), view_hash=view.get("hash"))

    # -- the settings modal's Save ------------------------------------------------------------------------

    def _has_group_field(self, view: dict[str, Any]) -> bool:
        return any(block.get("block_id") == ids.ADMIN_GROUP for block in view.get("blocks", []))

    def validate_settings(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        locale = locale_of(self.services, client, body["team"]["id"], body["user"]["id"])
        values = view.get("state", {}).get("values", {})
        form, errors = validation.settings_form(values, locale, group_field=self._has_group_field(view))
        if form is None:
            ack(response_action="errors", errors=errors)
            return
        saving = views.notice_modal(locale, t(locale, "bs.saving"), metadata=form.to_json())
        ack(response_action="update", view=saving)

    def save_settings(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        values = view.get("state", {}).get("values", {})
        form, _ = validation.settings_form(values, locale, group_field=self._has_group_field(view))
        if form is not None:  # else the ack already showed the errors
            self._save_and_show(client, team_id, user_id, locale, form, view)

    def retry_save(self, body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        form = validation.settings_from_json(body.get("view", {}).get("private_metadata") or "", locale)
        if form is not None:
            self._save_and_show(client, team_id, user_id, locale, form, body["view"])

    def _save_and_show(
        self,
        client: WebClient,
        team_id: str,
        user_id: str,
        locale: str,
        form: validation.SettingsForm,
        view: dict[str, Any],
    ) -> None:
        view_id = view["id"]
        if not is_billing_admin(self.services.db, client, team_id, user_id):
            modals.update_view(client, view_id, views.notice_modal(locale, t(locale, "bs.forbidden")))
            return
        if form.billing_admin_group is not None:
            if not self._may_change_group(client, team_id, user_id):
                form = replace(form, billing_admin_group=None)  # only admins and owners choose the group
            elif form.billing_admin_group and form.billing_admin_group not in {g.id for g in usergroups(client)}:
                modals.update_view(client, view_id, views.notice_modal(locale, t(locale, "bs.error.unknown_group")))
                return
        try:
            logic.save_settings(self.services, team_id, user_id, form)
        except GatewayError as exc:
            log.warning("saving billing settings for %s failed at Stripe: %s (%s)", team_id, exc, exc.code)
            text = t(locale, "bs.failed_stripe" if exc.retryable else "bs.refused_stripe", detail=str(exc)[:500])
            failed = views.notice_modal(locale, text, retry_action=ids.RETRY_SAVE_ACTION, metadata=form.to_json())
            modals.update_view(client, view_id, failed)
            return
        rates = logic.active_rates(team_id, db=self.services.db)
        priced_otherwise = logic.services_priced_otherwise(team_id, form.currency, db=self.services.db)
        modals.update_view(client, view_id, views.saved_modal(locale, form, rates, priced_otherwise))
        self.services.checklist.step_changed(client, team_id, user_id, view)

    # -- tax rates ----------------------------------------------------------------------------------------

    def _refresh_parent(
        self,
        client: WebClient,
        team_id: str,
        user_id: str,
        locale: str,
        parent: str,
        text: str,
        retry: str | None = None,
    ) -> None:
        banner = views.Banner(text, retry)
        modals.update_view(client, parent, views.settings_modal(self._page(client, team_id, user_id, locale, banner)))

    @trigger_bound
    def add_rate_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        if not is_billing_admin(self.services.db, client, team_id, user_id):
            return
        locale = locale_of(self.services, client, team_id, user_id)
        modal = views.rate_modal(locale, parent_view_id=body["view"]["id"], rate=None)
        client.views_push(trigger_id=body["trigger_id"], view=modal)

    @trigger_bound
    def edit_rate_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        if not is_billing_admin(self.services.db, client, team_id, user_id):
            return
        locale = locale_of(self.services, client, team_id, user_id)
        rate = _rate_from(body["actions"][0].get("value"), self.services, team_id)
        if rate is None or not rate.active:
            self._refresh_parent(client, team_id, user_id, locale, body["view"]["id"], t(locale, "bs.rate.gone"))
            return
        client.views_push(
            trigger_id=body["trigger_id"], view=views.rate_modal(locale, parent_view_id=body["view"]["id"], rate=rate)
        )

    def validate_rate(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        locale = locale_of(self.services, client, body["team"]["id"], body["user"]["id"])
        form, errors = validation.rate_form(view.get("state", {}).get("values", {}), locale)
        if form is None:
            ack(response_action="errors", errors=errors)
        else:
            ack()  # back to the settings modal, which the lazy part updates with the result

    def save_rate(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        form, _ = validation.rate_form(view.get("state", {}).get("values", {}), locale)
        metadata = modals.metadata(view)
        parent = metadata.get("parent")
        if form is None or not isinstance(parent, str):
            return
        rate_id = metadata.get("rate")
        operation = {
            "op": "replace" if isinstance(rate_id, int) else "add",
            "rate": rate_id if isinstance(rate_id, int) else None,
            # Names this submission: a replay of it, or Retry, reuses the Stripe idempotency key.
            "key": f"{view['id']}:{form.digest()}",
            "form": form.to_dict(),
        }
        self._run_rate_operation(client, team_id, user_id, locale, parent, operation)

    def retry_rate(self, body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        try:
            operation = json.loads(body["actions"][0].get("value") or "")
        except ValueError:
            return
        if isinstance(operation, dict):
            self._run_rate_operation(client, team_id, user_id, locale, body["view"]["id"], operation)

    def _run_rate_operation(
        self, client: WebClient, team_id: str, user_id: str, locale: str, parent: str, operation: dict[str, Any]
    ) -> None:
        if not is_billing_admin(self.services.db, client, team_id, user_id):
            self._refresh_parent(client, team_id, user_id, locale, parent, t(locale, "bs.forbidden"))
            return
        form = validation.rate_from_dict(operation.get("form"), locale)
        key, rate_id = operation.get("key"), operation.get("rate")
        if form is None or not isinstance(key, str) or not key or len(key) > 200:
            return
        try:
            if operation.get("op") == "replace" and isinstance(rate_id, int):
                logic.replace_rate(self.services, team_id, rate_id, form, key)
                text = t(locale, "bs.rate.replaced", rate=views.rate_line(form, locale))
            else:
                logic.add_rate(self.services, team_id, form, key)
                text = t(locale, "bs.rate.added", rate=views.rate_line(form, locale))
        except logic.RateGone:
            self._refresh_parent(client, team_id, user_id, locale, parent, t(locale, "bs.rate.gone"))
            return
        except GatewayError as exc:
            log.warning("tax rate change for %s failed at Stripe: %s (%s)", team_id, exc, exc.code)
            key_text = "bs.rate.failed_stripe" if exc.retryable else "bs.rate.refused_stripe"
            text = t(locale, key_text, name=form.name, detail=str(exc)[:300])
            retry = json.dumps(operation, ensure_ascii=False, separators=(",", ":"))
            self._refresh_parent(client, team_id, user_id, locale, parent, text, retry)
            return
        self._refresh_parent(client, team_id, user_id, locale, parent, text)

    def archive_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        view = body.get("view") or {}
        metadata = modals.metadata(view)
        parent = metadata.get("parent")
        rate = _rate_from(body["actions"][0].get("value"), self.services, team_id)
        if (
            not is_billing_admin(self.services.db, client, team_id, user_id)
            or rate is None
            or not isinstance(parent, str)
        ):
            return
        assert rate.id is not None
        try:
            logic.archive_rate(self.services, team_id, rate.id)
        except logic.RateGone:
            modals.update_view(client, view["id"], views.notice_modal(locale, t(locale, "bs.rate.gone")))
            return
        except GatewayError as exc:
            log.warning("archiving tax rate %s failed at Stripe: %s (%s)", rate.id, exc, exc.code)
            key = "bs.rate.failed_stripe" if exc.retryable else "bs.rate.refused_stripe"
            failed = views.notice_modal(
                locale,
                t(locale, key, name=rate.name, detail=str(exc)[:300]),
                retry_action=ids.ARCHIVE_RATE_ACTION,
                retry_value=str(rate.id),
                metadata=view.get("private_metadata") or "",
            )
            modals.update_view(client, view["id"], failed)
            return
        text = t(locale, "bs.rate.archived", rate=views.rate_line(rate, locale))
        modals.update_view(client, view["id"], views.notice_modal(locale, text))
        self._refresh_parent(client, team_id, user_id, locale, parent, text)

    def on_payments_enabled(self, team_id: str) -> None:
        """Rates saved before payments were set up reach Stripe once the account can take payments."""
        logic.mirror_pending_tax_rates(self.services, team_id)


def register(app: App, services: Services) -> None:
    listeners = BillingSettingsListeners(services)
    services.checklist.provide("billing_settings", is_done=logic.is_done, open_step=listeners.open_step)
    services.on_payments_enabled.append(listeners.on_payments_enabled)
    app.view(ids.SETTINGS_CALLBACK)(ack=listeners.validate_settings, lazy=[listeners.save_settings])
    app.view(ids.RATE_CALLBACK)(ack=listeners.validate_rate, lazy=[listeners.save_rate])
    app.action(ids.RETRY_SAVE_ACTION)(ack=ack_now, lazy=[listeners.retry_save])
    app.action(ids.COUNTRY)(ack=ack_now, lazy=[listeners.country_chosen])
    app.action(ids.ADD_RATE_ACTION)(ack=ack_now, lazy=[listeners.add_rate_clicked])
    app.action(ids.EDIT_RATE_ACTION)(ack=ack_now, lazy=[listeners.edit_rate_clicked])
    app.action(ids.RETRY_RATE_ACTION)(ack=ack_now, lazy=[listeners.retry_rate])
    app.action(ids.ARCHIVE_RATE_ACTION)(ack=ack_now, lazy=[listeners.archive_clicked])


def _rate_from(value: Any, services: Services, team_id: str) -> TaxRate | None:
    try:
        rate_id = int(value)
    except (TypeError, ValueError):
        return None
    return logic.get_rate(team_id, rate_id, db=services.db)
