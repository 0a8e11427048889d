"""The demo workspace the playground opens on: a practice, its English-speaking admin, a French-speaking admin (so
the whole journey can be walked in French), a French-speaking member who is no admin, two channels."""

from __future__ import annotations

from bot.sandbox.slack import SlackStandIn, Workspace

TEAM_ID = "T0PLAYGRND"
TEAM_NAME = "Demo Practice"
BOT_TOKEN = f"xoxb-playground-{TEAM_ID}"
BOT_USER = "U0BILLBOT"
ADMIN = "U0ADMIN"  # the page acts as this member unless another is picked
MEMBER = "U0CAMILLE"
FRENCH_ADMIN = "U0ELISE"  # a billing admin whose Slack is in French
GENERAL = "C0GENERAL"
HELP = "C0HELP"


def add_demo_workspace(slack: SlackStandIn) -> Workspace:
    ws = slack.add_workspace(TEAM_ID, TEAM_NAME, BOT_TOKEN, bot_user_id=BOT_USER, locale="en-US")
    ws.add_user(
        ADMIN, "alex", locale="en-US", is_admin=True, is_owner=True, real_name="Alex Morgan", email="alex@example.com"
    )
    ws.add_user(
        FRENCH_ADMIN, "elise", locale="fr-FR", is_admin=True, real_name="Élise Martin", email="elise@example.com"
    )
    ws.add_user(MEMBER, "camille", locale="fr-FR", real_name="Camille Durand", email="camille@example.com")
    # The bot was invited to both channels, as the README asks of a real install.
    ws.add_channel(GENERAL, "general", members=[ADMIN, FRENCH_ADMIN, MEMBER, BOT_USER])
    ws.add_channel(HELP, "help", members=[ADMIN, FRENCH_ADMIN, MEMBER, BOT_USER])
    return ws
