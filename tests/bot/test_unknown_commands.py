"""A slash command no flow answers gets the nearest command's help, privately, in the asker's language."""

from __future__ import annotations

import pytest

from bot.unknown_commands import nearest_command
from tests.conftest import ADMIN, FRENCH_USER, Billbot


def test_an_old_french_command_is_answered_with_billing_help_in_french(billbot: Billbot) -> None:
    response = billbot.requests.command("/facturation", user=FRENCH_USER)
    assert response.status_code == 200  # not Bolt's 404
    ephemeral = billbot.slack.wait_for(lambda: billbot.workspace.ephemeral("C_GENERAL", FRENCH_USER))
    text = ephemeral[-1].text
    assert "`/facturation` n'est pas une commande de Billbot" in text
    assert "Vouliez-vous dire `/billing` ?" in text and "/billing settings" in text
    assert billbot.slack.calls("views.open") == []  # nothing else was done


def test_a_command_close_to_none_lists_the_three_commands(billbot: Billbot) -> None:
    billbot.requests.command("/weather", user=ADMIN)
    ephemeral = billbot.slack.wait_for(lambda: billbot.workspace.ephemeral("C_GENERAL", ADMIN))
    text = ephemeral[-1].text
    assert "`/weather` is not a Billbot command" in text
    assert all(command in text for command in ("/billing", "/invoice", "/client"))


def test_the_known_commands_still_reach_their_flows(billbot: Billbot) -> None:
    billbot.requests.command("/invoice", "INV-9999", user=ADMIN)
    ephemeral = billbot.slack.wait_for(lambda: billbot.workspace.ephemeral("C_GENERAL", ADMIN))
    assert "is not a Billbot command" not in ephemeral[-1].text


@pytest.mark.parametrize(
    ("typed", "nearest"),
    [
        ("/facturation", "/billing"),
        ("/factures", "/invoice"),
        ("/Facture", "/invoice"),
        ("/invoices", "/invoice"),
        ("/invoise", "/invoice"),
        ("/patients", "/client"),
        ("/séance", "/client"),
        ("/billling", "/billing"),
        ("/weather", None),
        ("/", None),
    ],
)
def test_the_nearest_command(typed: str, nearest: str | None) -> None:
    assert nearest_command(typed) == nearest
