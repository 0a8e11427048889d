"""Correcting an open invoice, and changing its due date: both make a new invoice that replaces the old one.

The invoice message's **Correct** opens the invoice modal prefilled with the invoice (``logic.prefill``); its
**Change due date** a small modal. Either submission goes down invoice creation's durable path with the old
invoice's id (``replaces_id``): on Stripe the new invoice is a revision of the old one (``stripe``), or, where a
revision does not apply, a new invoice made after the old one is voided; once it is finalized, ``logic.retire``
voids our old row, links both ways, moves the sessions and shows "Replaced by" on the old message (``links``).
"""
