"""The two set-up steps together: tax rates saved before payments exist reach Stripe once they do."""

from __future__ import annotations

from decimal import Decimal

import httpx
from sqlmodel import select

from bot.models import TaxRate
from flows.billing_settings import logic
from flows.billing_settings.validation import RateForm
from tests.conftest import ADMIN, TEAM_ID, Billbot
from tests.flows.stripe_setup.test_stripe_setup import fill_stripe_form, onboarding_url, open_setup, row, start


def stripe_tax_rates(billbot: Billbot, account_id: str) -> list[dict[str, object]]:
    response = httpx.get(
        f"{billbot.stripe.url}/v1/tax_rates",
        headers={"Authorization": f"Bearer {billbot.stripe.api_key}", "Stripe-Account": account_id},
        timeout=10,
    )
    response.raise_for_status()
    return list(response.json()["data"])


def test_rates_saved_before_payments_are_mirrored_when_payments_are_enabled(billbot: Billbot) -> None:
    services = billbot.app.services
    form = RateForm(name="TVA", percentage=Decimal("20"), inclusive=False, description=None, country="FR")
    logic.add_rate(services, TEAM_ID, form, operation="before-setup")
    with services.db.session() as session:
        [local] = session.exec(select(TaxRate)).all()
    assert local.stripe_tax_rate_id is None  # no Stripe account yet: kept locally

    start(billbot, open_setup(billbot))
    fill_stripe_form(billbot, onboarding_url(billbot))
    billbot.stripe.wait_for_deliveries()

    def mirrored() -> TaxRate | None:
        with services.db.session() as session:
            found = session.get(TaxRate, local.id)
        return found if found is not None and found.stripe_tax_rate_id else None

    rate = billbot.slack.wait_for(mirrored, timeout=10)
    account = row(billbot)
    assert account is not None and account.charges_enabled
    [in_stripe] = stripe_tax_rates(billbot, str(account.account_id))
    assert (in_stripe["id"], in_stripe["display_name"], in_stripe["percentage"]) == (
        rate.stripe_tax_rate_id,
        "TVA",
        20.0,
    )
    assert rate.stripe_account_id == account.account_id
    assert account.started_by == ADMIN
