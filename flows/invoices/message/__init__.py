"""The invoice message: views, posting, private_card (one reader's view) and listeners (its Details button)."""
