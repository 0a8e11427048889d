"""Block Kit ids of the session-end prompt (the DM a practitioner gets when a matched session ends)."""

from __future__ import annotations

CHARGE_ACTION = "calendar_prompt_charge"
SEND_ACTION = "calendar_prompt_send"
NO_SHOW_ACTION = "calendar_prompt_no_show"
SKIP_ACTION = "calendar_prompt_skip"
RETRY_ACTION = "calendar_prompt_retry"

# What each button asks for, as CalendarEvent.prompt_action records it.
CHARGE, SEND, NO_SHOW, SKIP = "charge", "send", "no_show", "skip"
ACTIONS = {CHARGE_ACTION: CHARGE, SEND_ACTION: SEND, NO_SHOW_ACTION: NO_SHOW, SKIP_ACTION: SKIP}

TITLE_BLOCK = "calendar_prompt_title"
ACTIONS_BLOCK = "calendar_prompt_actions"

# The claim a prompt's DM names in its Slack metadata (bot.slack_posts), keyed by the event's id: a scheduler
# retaking a claim whose sender died finds the DM already posted instead of posting it again.
POST_CLAIM = "calendar_prompt"
