"""The Block Kit ids of refunds: the message's buttons, the modal and its fields."""

from __future__ import annotations

REFUND = "invoice_refund"  # on a paid invoice's message: opens the modal
RETRY = "invoice_refund_retry"  # on the message or the result modal: the refund Stripe failed midway, again
ACTIONS_BLOCK = "invoice_refunds"

CALLBACK = "invoice_refund_modal"
RESULT_CALLBACK = "invoice_refund_result"

AMOUNT_BLOCK = "refund_amount"
AMOUNT_ACTION = "amount"
REASON_BLOCK = "refund_reason"
REASON_ACTION = "reason"
NOTE_BLOCK = "refund_note"
NOTE_ACTION = "note"
