"""Block Kit ids of the Record payment and Charge modals (the message's buttons are in flows/invoices/ids.py)."""

from __future__ import annotations

RECORD_CALLBACK = "invoice_record_payment"
CHARGE_CALLBACK = "invoice_charge_amount"
RESULT_CALLBACK = "invoice_payment_result"
RETRY_ACTION = "invoice_payment_retry"

METHOD_BLOCK = "pay_method"
DATE_BLOCK = "pay_date"
HOW_BLOCK = "pay_how"
AMOUNT_BLOCK = "pay_amount"
REFERENCE_BLOCK = "pay_reference"
SUMMARY_BLOCK = "pay_summary"

# The amount choice: the whole balance, or a part typed in AMOUNT_BLOCK.
ALL = "all"
PART = "part"
REFERENCE_MAX = 100
