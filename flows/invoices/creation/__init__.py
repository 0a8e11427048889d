"""Creating an invoice: our row (store), then Stripe (stripe), then its message (logic, through message.posting)."""
