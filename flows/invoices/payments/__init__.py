"""Getting paid: the message's buttons and Stripe's webhooks (listeners), logic, views, the card-saved page."""
