"""Billbot: get paid through Stripe without leaving Slack."""

__version__ = "0.1.0"
