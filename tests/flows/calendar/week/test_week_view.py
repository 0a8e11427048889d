"""The App Home's calendar week view, through the harness: who sees whose sessions, their statuses, the Invoice
and Invoice the week buttons opening the invoice modal prefilled, stale clicks, Block Kit limits, French."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from bot.i18n import format_date
from bot.sandbox.slack import SlackStandIn, Workspace, check_view
from bot.sandbox.stripe import StripeEmulator
from flows import calendar as calendar_flow
from flows import home as home_flow
from flows.calendar.week import ids
from flows.invoices import ids as invoice_ids
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, SIGNING_SECRET, TEAM_ID, Billbot, app_env
from tests.flows.calendar.week.rows import (
    PARIS,
    Calendar,
    button_for,
    buttons,
    calendar_blocks,
    in_a_while,
    last_week,
    modal_sessions,
    text_of,
    this_monday,
)
from tests.harness.running_app import RunningApp
from tests.harness.slack_requests import SlackRequests
from tests.harness.views import filled_view


def open_home(bb: Billbot, user: str) -> dict[str, Any]:
    """The user opens the App Home tab: the view Billbot publishes for them (a new one each time)."""
    before = len([c for c in bb.slack.calls("views.publish") if c.args.get("user_id") == user])
    bb.requests.event({"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"})

    def published() -> dict[str, Any] | None:
        calls = [c for c in bb.slack.calls("views.publish") if c.args.get("user_id") == user]
        return bb.workspace.home(user) if len(calls) > before else None

    home: dict[str, Any] = bb.slack.wait_for(published)
    assert check_view(home) == []
    return home


def click_on_home(bb: Billbot, user: str, button: dict[str, Any], home: dict[str, Any]) -> dict[str, Any]:
    """A button of the App Home clicked: the modal the person ends up looking at."""
    response = bb.requests.click(button["action_id"], user=user, value=button["value"], view=home)
    assert response.status_code == 200
    view: dict[str, Any] = filled_view(bb.slack, bb.workspace, user)
    assert check_view(view) == []
    return view


def test_a_billing_admin_sees_every_practitioners_sessions_with_their_status(billbot: Billbot) -> None:
    cal = Calendar(billbot)
    mine, claire = cal.feed(ADMIN), cal.feed(FRENCH_USER)
    anne, bruno, chloe, denis, elodie = (
        cal.client(n) for n in ("Anne Martin", "Bruno Petit", "Chloé Roux", "Denis Blanc", "Élodie Lefèvre")
    )
    cal.session(mine, anne, last_week(0, 9))
    invoiced = cal.session(mine, bruno, last_week(1, 10, 30))
    paid = cal.session(mine, chloe, last_week(2, 14))
    part_paid = cal.session(mine, denis, last_week(3, 8))
    cal.session(claire, elodie, last_week(4, 11))
    inv1 = cal.invoice(bruno, [invoiced])
    inv2 = cal.invoice(chloe, [paid], status="paid", paid=8000)
    inv3 = cal.invoice(denis, [part_paid], paid=3000)
    cal.unmatched(mine, last_week(0, 12))
    cal.unmatched(claire, last_week(1, 12))
    cal.unmatched(claire, last_week(2, 12))
    cal.unmatched(claire, last_week(0, 12) - timedelta(days=7))  # the week before: not counted

    found = calendar_blocks(open_home(billbot, ADMIN))
    text = text_of(found)
    for name in ("Anne Martin", "Bruno Petit", "Chloé Roux", "Denis Blanc", "Élodie Lefèvre"):
        assert name in text
    assert "*to invoice*" in text
    assert f"invoiced ({inv1})" in text and f"paid ({inv2})" in text
    assert f"invoiced ({inv3})" in text  # paid in part counts as invoiced
    assert "`9:00\u202fAM` Anne Martin · Consultation · 50 min" in text
    assert f"<@{FRENCH_USER}>" in text  # several practitioners: each line says whose
    assert "Last week" in text and "This week" in text
    assert "1 event of these two weeks is matched to no client: sort it in `/billing calendar`." in text
    assert "2 events in other practitioners' calendars are matched to no client" in text
    assert "Rendez-vous" not in text  # an unmatched event's title is the to-sort list's
    assert format_date(this_monday() - timedelta(days=7), "en", "full") in text
    # Only the session still to invoice has a button (Élodie's too: an admin invoices anyone's).
    labels = [b["text"]["text"] for b in buttons(found)]
    assert labels == ["Invoice 9:00\u202fAM · Anne Martin", "Invoice 11:00\u202fAM · Élodie Lefèvre"]


def test_a_practitioner_sees_their_own_sessions_in_french(billbot: Billbot) -> None:
    cal = Calendar(billbot)
    admins, claire = cal.feed(ADMIN), cal.feed(FRENCH_USER)
    cal.session(admins, cal.client("Secret Client"), last_week(0, 9))
    elodie = cal.client("Élodie Lefèvre")
    cal.session(claire, elodie, last_week(1, 9))
    cal.invoice(elodie, [cal.session(claire, elodie, last_week(3, 17, 15), flag="moved")])
    cal.invoice(elodie, [cal.session(claire, elodie, last_week(2, 9), flag="cancelled")])
    cal.unmatched(claire, last_week(4, 12))

    home = open_home(billbot, FRENCH_USER)
    found = calendar_blocks(home)
    text = text_of(found)
    assert "Secret Client" not in text_of(home["blocks"])
    assert "Séances de l'agenda" in text and "La semaine dernière" in text and "Cette semaine" in text
    assert format_date(this_monday() - timedelta(days=6), "fr", "full") in text  # « mardi 25 novembre 2025 »
    assert "`09:00` Élodie Lefèvre · Consultation · 50 min · *à facturer*" in text
    assert ":warning: annulée dans l'agenda" in text and ":warning: déplacée dans l'agenda" in text
    assert "1 rendez-vous de ces deux semaines n'est associé à aucun client" in text
    assert "`/billing calendar`" in text
    assert "<@" not in text  # one practitioner: no one named
    # The flagged sessions are invoiced (their invoice stands): only the other one has a button.
    assert [b["text"]["text"] for b in buttons(found)] == ["Facturer 09:00 · Élodie Lefèvre"]


def test_a_member_without_a_calendar_sees_no_calendar_section(billbot: Billbot) -> None:
    cal = Calendar(billbot)
    cal.session(cal.feed(ADMIN), cal.client("Anne Martin"), last_week(0, 9))
    home = open_home(billbot, MEMBER)
    assert calendar_blocks(home) == []
    assert "Anne Martin" not in text_of(home["blocks"])
    assert "Billing & payments" in text_of(home["blocks"])


def test_no_calendar_in_the_practice_means_no_section_even_for_an_admin(billbot: Billbot) -> None:
    Calendar(billbot)
    assert calendar_blocks(open_home(billbot, ADMIN)) == []


def test_invoice_opens_the_invoice_modal_with_exactly_that_session(billbot: Billbot) -> None:
    cal = Calendar(billbot)
    feed = cal.feed(ADMIN)
    anne = cal.client("Anne Martin")
    first = cal.session(feed, anne, last_week(0, 9))
    cal.session(feed, anne, last_week(2, 9))
    home = open_home(billbot, ADMIN)
    [button] = [b for b in buttons(calendar_blocks(home)) if b["value"] == str(first)]
    assert button["text"]["text"] == "Invoice 9:00\u202fAM · Anne Martin"
    assert ids.INVOICE_SESSION_PATTERN.match(button["action_id"])
    view = click_on_home(billbot, ADMIN, button, home)
    assert view["callback_id"] == invoice_ids.CALLBACK
    assert modal_sessions(view) == {first}
    assert "Anne Martin" in text_of(view["blocks"])
    assert cal.invoices() == []  # nothing is invoiced until the modal is submitted


def test_invoice_the_week_opens_the_modal_with_that_clients_sessions_of_the_week(billbot: Billbot) -> None:
    cal = Calendar(billbot)
    feed = cal.feed(FRENCH_USER)
    anne, bruno = cal.client("Anne Martin"), cal.client("Bruno Petit")
    week = {cal.session(feed, anne, last_week(day, 9)) for day in (0, 2, 4)}
    cal.session(feed, bruno, last_week(1, 9))  # one session: no week button for Bruno
    already = cal.session(feed, anne, last_week(3, 9))
    cal.invoice(anne, [already])
    home = open_home(billbot, FRENCH_USER)
    week_buttons = [b for b in buttons(calendar_blocks(home)) if ids.INVOICE_WEEK_PATTERN.match(b["action_id"])]
    assert [b["text"]["text"] for b in week_buttons] == ["Facturer la semaine · Anne Martin (3 séances)"]
    view = click_on_home(billbot, FRENCH_USER, week_buttons[0], home)
    assert view["callback_id"] == invoice_ids.CALLBACK
    assert modal_sessions(view) == week


def test_a_stale_click_on_an_invoiced_session_says_so_and_invoices_nothing(billbot: Billbot) -> None:
    cal = Calendar(billbot)
    feed = cal.feed(ADMIN)
    anne = cal.client("Anne Martin")
    first, second = cal.session(feed, anne, last_week(0, 9)), cal.session(feed, anne, last_week(1, 9))
    home = open_home(billbot, ADMIN)
    found = calendar_blocks(home)
    one = next(b for b in buttons(found) if b["value"] == str(first))
    week = button_for(found, "Invoice the week")
    number = cal.invoice(anne, [first, second])  # invoiced elsewhere after the Home was drawn
    view = click_on_home(billbot, ADMIN, one, home)
    assert view["callback_id"] == ids.NOTICE_CALLBACK
    assert f"This session is already on invoice {number}" in text_of(view["blocks"])
    billbot.workspace.close_views(ADMIN)
    view = click_on_home(billbot, ADMIN, week, home)
    assert view["callback_id"] == ids.NOTICE_CALLBACK
    assert "These sessions are already invoiced" in text_of(view["blocks"])
    assert len(cal.invoices()) == 1
    # The Home opened again shows them invoiced, without buttons.
    found = calendar_blocks(open_home(billbot, ADMIN))
    assert f"invoiced ({number})" in text_of(found) and buttons(found) == []


def test_a_week_button_with_some_sessions_invoiced_meanwhile_offers_only_the_rest(billbot: Billbot) -> None:
    cal = Calendar(billbot)
    feed = cal.feed(ADMIN)
    anne = cal.client("Anne Martin")
    first, second, third = (cal.session(feed, anne, last_week(day, 9)) for day in (0, 1, 2))
    home = open_home(billbot, ADMIN)
    week = button_for(calendar_blocks(home), "Invoice the week")
    cal.invoice(anne, [second])
    view = click_on_home(billbot, ADMIN, week, home)
    assert modal_sessions(view) == {first, third}


def test_a_session_still_to_come_has_no_invoice_button(billbot: Billbot) -> None:
    cal = Calendar(billbot)
    feed = cal.feed(ADMIN)
    later = cal.session(feed, cal.client("Anne Martin"), in_a_while())
    found = calendar_blocks(open_home(billbot, ADMIN))
    assert "_still to come_" in text_of(found)
    assert buttons(found) == []
    # A button forged for it is refused as not yet billable.
    home = billbot.workspace.home(ADMIN)
    assert home is not None
    forged = {"action_id": f"{ids.INVOICE_SESSION_ACTION}.0", "value": str(later)}
    view = click_on_home(billbot, ADMIN, forged, home)
    assert "has not started yet" in text_of(view["blocks"])


def test_a_practitioner_cannot_invoice_another_practitioners_session_by_a_forged_id(billbot: Billbot) -> None:
    cal = Calendar(billbot)
    theirs = cal.session(cal.feed(ADMIN), cal.client("Secret Client"), last_week(0, 9))
    cal.session(cal.feed(FRENCH_USER), cal.client("Anne Martin"), last_week(0, 10))
    home = open_home(billbot, FRENCH_USER)
    for value in (str(theirs), "x", "", "99999999999999999999", f"{theirs},{theirs}"):
        forged = {"action_id": f"{ids.INVOICE_WEEK_ACTION}.0", "value": value}
        view = click_on_home(billbot, FRENCH_USER, forged, home)
        assert view["callback_id"] == ids.NOTICE_CALLBACK
        assert "Secret Client" not in text_of([view])
        billbot.workspace.close_views(FRENCH_USER)
    assert cal.invoices() == []


def test_a_week_of_sixty_sessions_stays_within_slacks_limits(billbot: Billbot) -> None:
    cal = Calendar(billbot)
    feed = cal.feed(ADMIN)
    clients = [cal.client(f"Client numéro {n:02d} avec un nom assez long pour remplir") for n in range(30)]
    for n in range(60):  # 40 on the Monday (more than 25 buttons, a long day), the rest over the week
        day, minute = (0, n * 15) if n < 40 else (1 + n % 4, 0)
        cal.session(feed, clients[n % 30], last_week(day, 7) + timedelta(minutes=minute))
    cal.session(cal.feed(FRENCH_USER), clients[0], last_week(5, 9))
    home = open_home(billbot, ADMIN)  # check_view: no limit broken
    assert len(home["blocks"]) <= 100
    found = calendar_blocks(home)
    assert all(len(b["elements"]) <= 25 for b in found if b["type"] == "actions")
    assert all(len(b["text"]["text"]) <= 3000 for b in found if b["type"] == "section")
    assert "more sessions: see the clients' records" in text_of(found)  # the long Monday stops with "and N more"
    assert "15 more sessions to invoice that day have no button here" in text_of(found)  # 40 on Monday, 25 buttons
    assert "Invoice the week" in text_of(found)


def test_weeks_start_on_monday_where_the_viewer_is(billbot: Billbot) -> None:
    """Monday 00:30 in Paris is still Sunday evening in New York: the same session falls in another week."""
    new_york = "U0NEWYORK"
    billbot.workspace.add_user(new_york, "nina", locale="en-US", is_admin=True, tz="America/New_York")
    cal = Calendar(billbot)
    feed = cal.feed(ADMIN)
    this_monday_night = datetime.combine(this_monday(), time(0, 30), tzinfo=PARIS).astimezone(UTC)
    cal.session(feed, cal.client("Anne Martin"), last_week(0, 0, 30))
    cal.session(feed, cal.client("Bruno Petit"), this_monday_night)
    paris = calendar_blocks(open_home(billbot, ADMIN))
    monday_id = f"calendar_week_{this_monday().isoformat()}"  # the day's section
    assert "Anne Martin" in text_of(paris) and "`12:30\u202fAM` Bruno Petit" in text_of(paris)
    assert "Bruno Petit" in text_of([b for b in paris if b.get("block_id") == monday_id])
    there = calendar_blocks(open_home(billbot, new_york))
    assert "Anne Martin" not in text_of(there)  # the Sunday before last, where Nina is
    sunday = this_monday() - timedelta(days=1)
    sunday_block = next(b for b in there if b.get("block_id") == f"calendar_week_{sunday.isoformat()}")
    assert "`6:30\u202fPM` Bruno Petit" in text_of([sunday_block])


@pytest.fixture
def without_invoices(
    slack: SlackStandIn, workspace: Workspace, database_url: str, stripe_emulator: StripeEmulator
) -> Iterator[Billbot]:
    """An app with the Home and the calendar but not the invoices flow: no one provides the invoice modal."""
    app = RunningApp(app_env(slack, database_url), flows=[home_flow.register, calendar_flow.register]).start()
    requests = SlackRequests(app.url, SIGNING_SECRET, slack, TEAM_ID)
    assert app.services.invoice_modal is None
    yield Billbot(app=app, slack=slack, workspace=workspace, requests=requests, stripe=stripe_emulator)
    requests.close()
    app.stop()


def test_without_the_invoices_flow_invoice_says_it_is_not_there(without_invoices: Billbot) -> None:
    cal = Calendar(without_invoices)
    cal.session(cal.feed(ADMIN), cal.client("Anne Martin"), last_week(0, 9))
    home = open_home(without_invoices, ADMIN)
    [button] = buttons(calendar_blocks(home))
    view = click_on_home(without_invoices, ADMIN, button, home)
    assert view["callback_id"] == ids.NOTICE_CALLBACK
    assert "is coming soon to Billbot" in text_of(view["blocks"])
