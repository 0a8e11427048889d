"""The invoice modal: listeners (its acks and lazy work, and its opener), logic, views, validation, draft."""
