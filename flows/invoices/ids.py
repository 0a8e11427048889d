"""Every Block Kit id of the invoices flow: the names Slack sends back to us.

The invoice message's buttons are built by message.views and handled by payments (the Details button by
message.listeners); the send-link confirmation is payments'; the rest are the invoice modal's.

In the invoice modal, a line's blocks are named after the line's own key (``l3.qty``), not its position, so
removing the line above it leaves its block ids, and with them what Slack keeps typed in them, unchanged. A
field the app itself refills (the price and tax once a service is chosen, the client once one is created)
also carries a revision (``l3.price.2``): a new block id is the only way to make Slack show a new initial
value instead of what it kept.
"""

from __future__ import annotations

from bot.typed_numbers import whole_number

# -- the invoice message ------------------------------------------------------------------------------------

SEND_LINK = "invoice_send_link"
ADD_PAYMENT_METHOD = "invoice_add_payment_method"
CHARGE_CARD = "invoice_charge_card"
DOWNLOAD_PDF = "invoice_download_pdf"
MARK_PAID = "invoice_mark_paid"
VOID = "invoice_void"
DETAILS = "invoice_details"
DETAILS_BLOCK_ID = "invoice_details"
ACTIONS_BLOCK_ID = "invoice_payments"  # the payment buttons
SEND_LINK_CONFIRM_CALLBACK = "invoice_send_link_confirm"

# -- the invoice modal --------------------------------------------------------------------------------------

CALLBACK = "invoice_modal"
RESULT_CALLBACK = "invoice_modal_result"

CLIENT_ACTION = "invoice_client"  # the external select; its options come through block_suggestion
NEW_CLIENT_ACTION = "invoice_new_client"
ADD_EMAIL_ACTION = "invoice_add_email"  # a client without an email: the clients flow's edit modal, pushed
ADD_LINE_ACTION = "invoice_add_line"
REMOVE_LINE_ACTION = "invoice_remove_line"
RETRY_ACTION = "invoice_retry"

# Every element of a line has the same action id on every line: one listener serves them all.
LINE_DATE = "date"
LINE_SERVICE = "service"
LINE_DESCRIPTION = "desc"
LINE_QUANTITY = "qty"
LINE_PRICE = "price"
LINE_TAX = "tax"
LINE_HEAD = "head"
LINE_ACTION_PREFIX = "invoice_line_"
# Fields the app refills (a revision in their block id).
REVISED_FIELDS = frozenset({LINE_PRICE, LINE_TAX})
# Fields whose change recomputes the totals or refills the line.
DISPATCHING_FIELDS = (LINE_SERVICE, LINE_QUANTITY, LINE_PRICE, LINE_TAX)

CLIENT_BLOCK = "client"  # + "." + revision
CLIENT_ACTIONS_BLOCK = "client_actions"
DUE_BLOCK = "due"
MEMO_BLOCK = "memo"
LINES_ACTIONS_BLOCK = "lines_actions"
LIMIT_BLOCK = "lines_limit"
NOTICE_BLOCK = "notice"
TOTALS_BLOCK = "totals"

# The "no service" and "no tax" choices: a static select cannot be emptied once something is picked.
NONE_VALUE = "none"


def line_action(field: str) -> str:
    return LINE_ACTION_PREFIX + field


def client_block(revision: int) -> str:
    return f"{CLIENT_BLOCK}.{revision}"


def line_block(key: int, field: str, revision: int = 0) -> str:
    return f"l{key}.{field}.{revision}" if field in REVISED_FIELDS else f"l{key}.{field}"


def parse_line_block(block_id: str) -> tuple[int, str] | None:
    """``"l3.price.2"`` → ``(3, "price")``; None for a block that is not a line's."""
    parts = block_id.split(".")
    key = whole_number(parts[0][1:]) if parts[0].startswith("l") else None
    if len(parts) not in (2, 3) or key is None:
        return None
    return key, parts[1]
