"""The Block Kit ids of corrections: the invoice message's two buttons and the due-date modal."""

from __future__ import annotations

CORRECT = "invoice_correct"
CHANGE_DUE_DATE = "invoice_change_due_date"
ACTIONS_BLOCK_ID = "invoice_correction"
DUE_CALLBACK = "invoice_due_date_modal"
DUE_BLOCK = "new_due_date"
NOTICE_CALLBACK = "invoice_correction_notice"
