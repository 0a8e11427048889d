"""Once sessions of the week are invoiced through the invoice modal, the App Homes that showed them are drawn
again (``services.on_sessions_invoiced``): the invoicer's and the practitioner's, with no Invoice button left."""

from __future__ import annotations

from typing import Any

from bot.models import StripeAccount
from flows.invoices import ids as invoice_ids
from tests.conftest import ADMIN, FRENCH_USER, TEAM_ID, Billbot
from tests.flows.calendar.week.rows import Calendar, buttons, calendar_blocks, last_week, modal_sessions, text_of
from tests.flows.calendar.week.test_week_view import click_on_home, open_home
from tests.flows.invoices.test_creation import make_practice
from tests.harness.invoice_modal import initial_state


def test_the_homes_show_the_sessions_invoiced_once_the_invoice_is_made(billbot: Billbot) -> None:
    make_practice(billbot)
    with billbot.app.services.db.session() as session:
        account = session.get(StripeAccount, TEAM_ID)
        assert account is not None
        account.charges_enabled = True  # payments set up: the invoice modal takes the submission
        session.add(account)
    cal = Calendar(billbot)
    cal.feed(ADMIN)
    claire = cal.feed(FRENCH_USER)
    anne = cal.client("Anne Martin")
    week = {cal.session(claire, anne, last_week(day, 9)) for day in (0, 2)}
    theirs = calendar_blocks(open_home(billbot, FRENCH_USER))
    assert len(buttons(theirs)) == 3  # two sessions, and the week
    home = open_home(billbot, ADMIN)
    [week_button] = [b for b in buttons(calendar_blocks(home)) if "Invoice the week" in b["text"]["text"]]
    view = click_on_home(billbot, ADMIN, week_button, home)
    assert view["callback_id"] == invoice_ids.CALLBACK and modal_sessions(view) == week
    submitted = billbot.requests.submit(view, initial_state(view), user=ADMIN)
    assert submitted.status_code == 200 and b"errors" not in submitted.content, submitted.content

    def redrawn(user: str, words: str) -> Any:
        shown = billbot.workspace.home(user)
        return shown if shown is not None and words in text_of(calendar_blocks(shown)) else None

    for user, words in ((ADMIN, "invoiced (INV-0001)"), (FRENCH_USER, "facturée (INV-0001)")):
        shown = billbot.slack.wait_for(lambda u=user, w=words: redrawn(u, w), timeout=30.0)
        assert buttons(calendar_blocks(shown)) == []  # nothing left to invoice, without reopening the tab
