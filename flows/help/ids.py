"""The names Slack sends back to us: callback, action and block ids of the help flow."""

from __future__ import annotations

SETTINGS_CALLBACK = "help_settings"
NOTICE_CALLBACK = "help_settings_notice"

HELPED_ACTION = "help_helped"
PERSON_ACTION = "help_person"
OPEN_INVOICE_ACTION = "help_open_invoice"

# Input blocks: each holds one element whose action id is the block id.
CHANNELS = "help_channels"
SUPPORT_GROUP = "help_support_group"
SUPPORT_CHANNEL = "help_support_channel"
NO_GROUP = "none"

# Claim-once kinds (the ledger's kind column holds 32 characters at most).
QUESTION_CLAIM = "help_question"
HANDOVER_CLAIM = "help_handover"
HELPED_CLAIM = "help_helped"
