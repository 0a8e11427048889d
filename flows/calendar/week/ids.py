"""The names Slack sends back to us for the App Home's calendar week view."""

from __future__ import annotations

import re

# One "Invoice" button per session, one "Invoice the week" per client: action ids must differ within an actions
# block, so each carries a running number after the dot; the listener matches the prefix.
INVOICE_SESSION_ACTION = "calendar_week_invoice"
INVOICE_WEEK_ACTION = "calendar_week_invoice_week"
INVOICE_SESSION_PATTERN = re.compile(rf"^{INVOICE_SESSION_ACTION}(\.\d+)?$")
INVOICE_WEEK_PATTERN = re.compile(rf"^{INVOICE_WEEK_ACTION}(\.\d+)?$")
NOTICE_CALLBACK = "calendar_week_notice"
HOME_BLOCK_PREFIX = "calendar_week"
