"""Download PDF says where the file went, where the person clicked (issue 20: no result goes elsewhere silently):
an ephemeral "Sent to your messages with Billbot" with Slack's link to the app's Messages tab, in their language."""

from __future__ import annotations

import pytest

from flows.invoices import ids as action_ids
from tests.conftest import FRENCH_USER, MEMBER, TEAM_ID, Billbot
from tests.flows.invoices.test_payments import CHANNEL, click, connect, ephemerals, make_client, make_invoice, wait

CASES = {
    MEMBER: ("en", "Sent to <slack://app?team={team}&id=A_BILLBOT&tab=messages|your messages with Billbot>"),
    FRENCH_USER: ("fr", "Envoyé dans <slack://app?team={team}&id=A_BILLBOT&tab=messages|vos messages avec Billbot>"),
}


@pytest.mark.parametrize("user", [MEMBER, FRENCH_USER])
def test_download_pdf_says_where_the_file_went(billbot: Billbot, user: str) -> None:
    locale, expected = CASES[user]
    connect(billbot)
    invoice = make_invoice(billbot, make_client(billbot), user=user, locale=locale)  # its creator may download it
    click(billbot, action_ids.DOWNLOAD_PDF, invoice, user=user)
    wait(billbot, lambda: [f for f in billbot.workspace.files() if f.completed])
    [told] = wait(billbot, lambda: ephemerals(billbot, user), timeout=30)
    assert expected.format(team=TEAM_ID) in told and invoice.number in told
    assert billbot.workspace.dm(user)[0].channel != CHANNEL  # the file itself is in the DM, not the channel
