"""Refunds on a paid invoice: the Refund button's modal, Stripe's credit note with its refund, and Stripe's word on it.

- ``views``: the modal, the lines and buttons the invoice message gains, the thread replies;
- ``validation``: the modal's fields, checked (inline errors, nothing written on a bad field);
- ``logic``: our ``InvoiceRefund`` rows, the credit note on Stripe, and the sync that makes our rows and the
  invoice's ``amount_refunded`` follow what Stripe holds;
- ``listeners``: the buttons, the modal's submission, and the webhooks (charge.refunded, credit_note.created,
  refund.updated), registered from flows/invoices/__init__.py.
"""
