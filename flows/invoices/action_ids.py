"""Action ids of the invoice message's buttons: built by invoice_message, handled by payments (and the
Details button by private_card)."""

from __future__ import annotations

SEND_LINK = "invoice_send_link"
ADD_PAYMENT_METHOD = "invoice_add_payment_method"
CHARGE_CARD = "invoice_charge_card"
DOWNLOAD_PDF = "invoice_download_pdf"
MARK_PAID = "invoice_mark_paid"
VOID = "invoice_void"
DETAILS = "invoice_details"
