"""The set-up flow's Block Kit ids: the modal's callback and its buttons."""

from __future__ import annotations

CALLBACK_ID = "stripe_setup"
START_ACTION = "stripe_setup_start"
# Link buttons open the browser, but Slack still sends the click: these are acknowledged and nothing more.
LINK_ACTION = "stripe_setup_link"
OAUTH_ACTION = "stripe_setup_oauth"
LINK_ACTIONS = (LINK_ACTION, OAUTH_ACTION)
# Disconnect: the set-up modal's button, and the confirmation pushed over it.
DISCONNECT_ACTION = "stripe_setup_disconnect"
DISCONNECT_CALLBACK_ID = "stripe_setup_disconnect"
