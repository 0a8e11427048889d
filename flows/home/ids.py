"""The overview's Block Kit ids: the hub modal (the checklist's button is bot.checklist.OPEN_STEP_ACTION)."""

from __future__ import annotations

HUB_CALLBACK = "billing_hub"
