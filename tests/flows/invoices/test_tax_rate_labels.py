"""A tax rate whose name already says its percentage ("TVA 20 %") is labelled once, never "TVA 20 % 20 %":
in the invoice modal's picker, on the invoice message's lines, in the PDF, in billing settings and the services."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from bot.documents.pdf import render_invoice_pdf
from bot.documents.raster import pdf_text
from bot.documents.source import document_for_invoice
from bot.i18n import format_percent, names_percentage, tax_rate_label
from bot.models import BillingSettings, Invoice
from flows.invoices import ids
from tests.conftest import ADMIN, FRENCH_USER, TEAM_ID, Billbot
from tests.flows.clients.catalogue.test_catalogue import open_catalog
from tests.flows.invoices.test_modal import (
    Practice,
    block_of,
    filled,
    line_keys,
    submit,
    text,
    type_in,
    wait_text,
)
from tests.harness.views import filled_view

CHANNEL = "C_INVOICES"
# The rate's name said its percentage and a label added it again: "TVA 20 % 20 %", "TVA 20 % 20%".
TWICE = re.compile(r"TVA 20 % 20")


def test_names_that_say_the_percentage_in_any_common_spelling() -> None:
    for name, percentage in [("TVA 20 %", "20"), ("TVA 20%", "20"), ("TVA 20,0 %", "20"), ("VAT 20.5%", "20.5"),
                             ("TVA 19,6\u202f%", "19.6000"), ("TVA (5,5\u00a0%)", "5.5")]:  # fmt: skip
        assert names_percentage(name, Decimal(percentage)), name
        assert tax_rate_label(name, Decimal(percentage), "fr") == name
    for name, percentage in [("VAT", "20"), ("TVA 5,5 %", "20"), ("Tax 2%", "20"), ("Tax 12%", "2")]:
        assert not names_percentage(name, Decimal(percentage)), name
        assert tax_rate_label(name, Decimal(percentage), "en") == f"{name} {format_percent(Decimal(percentage), 'en')}"


@pytest.mark.parametrize(("user", "locale"), [(ADMIN, "en"), (FRENCH_USER, "fr")])
def test_a_rate_named_with_its_percentage_is_labelled_once(billbot: Billbot, user: str, locale: str) -> None:
    practice = Practice(billbot)
    tva = practice.rate("TVA 20 %", "20")
    plain = practice.rate("VAT", "10")
    client_id = practice.client("Élodie Dupré")
    billbot.workspace.add_channel(CHANNEL, name="invoices", members=[ADMIN, FRENCH_USER, "U0BOT"])
    with billbot.app.services.db.session() as session:
        row = session.get(BillingSettings, TEAM_ID)
        assert row is not None
        row.full_channel_cards = True  # the channel's card shows the lines
        session.add(row)

    # The picker: the name alone when it says the percentage, the name and percentage when it does not.
    assert billbot.requests.command("/invoice", user=user, channel=CHANNEL).status_code == 200
    view = filled_view(billbot.slack, billbot.workspace, user)
    key = line_keys(view)[0]
    options = {o["value"]: o["text"]["text"] for o in block_of(view, key, ids.LINE_TAX)["element"]["options"]}
    kind = {"en": "added", "fr": "en sus"}[locale]
    assert options[str(tva)] == f"TVA 20 % ({kind})"
    assert options[str(plain)] == f"VAT {format_percent(Decimal(10), locale)} ({kind})"

    # The invoice message's line, wherever the card is posted, and the PDF's line and tax total.
    values = filled(billbot, practice, view, client_id, "Élodie Dupré")
    if locale == "fr":
        type_in(values, view, line_keys(view)[0], ids.LINE_PRICE, "80,00")
    type_in(values, view, line_keys(view)[0], ids.LINE_TAX, str(tva))
    assert submit(billbot, view, values, user)["response_action"] == "update"
    wait_text(billbot, view["id"], "INV-0001")
    [message] = billbot.slack.wait_for(lambda: billbot.workspace.messages(CHANNEL))
    card = json.dumps(message.blocks, ensure_ascii=False)
    assert "TVA 20 %" in card and not TWICE.search(card)
    with billbot.app.services.db.session() as session:
        [invoice] = session.exec(select(Invoice)).all()
    document = document_for_invoice(TEAM_ID, invoice.id or 0, db=billbot.app.services.db)
    assert [line.tax_label for line in document.lines] == ["TVA 20 %"]
    printed = re.sub(r"[\s\u00a0\u202f]+", " ", " ".join(pdf_text(render_invoice_pdf(document, locale))))
    assert printed.count("TVA 20 %") == 2 and not TWICE.search(printed)  # the line's rate and the tax total


@pytest.mark.parametrize(("user", "locale"), [(ADMIN, "en"), (FRENCH_USER, "fr")])
def test_billing_settings_and_services_label_the_rate_once(billbot: Billbot, user: str, locale: str) -> None:
    practice = Practice(billbot)
    tva = practice.rate("TVA 20 %", "20")
    practice.service("Séance", 6000, tax_rate_id=tva)
    billbot.workspace.add_usergroup("S0BILLING", handle="facturation", users=[FRENCH_USER])
    with billbot.app.services.db.session() as session:
        row = session.get(BillingSettings, TEAM_ID)
        assert row is not None
        row.billing_admin_group = "S0BILLING"
        session.add(row)
    catalogue = open_catalog(billbot, user)
    settings = billbot.workspace.views(user)[0]
    shown: list[dict[str, Any]] = [settings, catalogue]
    for view in shown:
        assert "TVA 20 %" in text(view) and not TWICE.search(text(view)), text(view)
