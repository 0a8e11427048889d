"""The names Slack sends back to us: callback, action and block ids of the calendar modals."""

from __future__ import annotations

# Views.
CONNECT_CALLBACK = "calendar_connect"  # not connected: the address or file, and the settings
READING_CALLBACK = "calendar_reading"  # "Reading your calendar…" while the first sync runs
CONNECTED_CALLBACK = "calendar_connected"  # connected: status, buttons, settings (its submit saves them)
SORT_CALLBACK = "calendar_sort"  # the "to sort" list, pushed over the calendar modal
RULES_CALLBACK = "calendar_rules"  # the service keyword rules, pushed over the calendar modal (submit adds one)
NOTICE_CALLBACK = "calendar_notice"

# Buttons.
SYNC_ACTION = "calendar_sync_now"
OPEN_SORT_ACTION = "calendar_open_sort"
OPEN_RULES_ACTION = "calendar_open_rules"
DISCONNECT_ACTION = "calendar_disconnect"
ASSIGN_ACTION = "calendar_assign"
SORT_CLIENT_ACTION = "calendar_sort_client"  # the client picker beside each event to sort
REMOVE_RULE_ACTION = "calendar_remove_rule"

# Input blocks: each holds one element whose action id is the block id, so an error keyed by block id
# (response_action: errors) lands under the field it is about.
URL = "calendar_url"
FILE = "calendar_file"
PROBLEM = "calendar_problem"  # the context block under the address/file saying why the last try failed
DEFAULT_SERVICE = "calendar_default_service"
NO_SHOW_SERVICE = "calendar_no_show_service"
PROMPT = "calendar_prompt"
PROMPT_MINUTES = "calendar_prompt_minutes"
RULE_KEYWORD = "calendar_rule_keyword"
RULE_SERVICE = "calendar_rule_service"

PROMPT_ON = "on"
NO_SERVICE = "none"  # a static select cannot be emptied once something is picked: "no service" is a choice
PROMPT_MINUTE_CHOICES = (0, 5, 15, 30, 60)


def sort_block(event_id: int) -> str:
    """The actions block of one event to sort (its picker and Assign button)."""
    return f"calendar_sort_{event_id}"


def rule_block(revision: int, name: str) -> str:
    """The rule form's inputs change id after each added rule, so Slack shows them empty again."""
    return f"{name}_{revision}"
