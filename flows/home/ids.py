"""The overview's Block Kit ids: the checklist's buttons and the hub modal."""

from __future__ import annotations

OPEN_STEP_ACTION = "checklist_open"
HUB_CALLBACK = "billing_hub"
