"""Autopay's Block Kit ids: the client record's switch and the daily DM's buttons (value: the invoice id)."""

from __future__ import annotations

TOGGLE_ACTION = "autopay_toggle"  # value "on:<client id>" or "off:<client id>": a stale click sets, never flips
HOLD_ACTION = "autopay_hold"
EDIT_ACTION = "autopay_edit"
CHARGE_NOW_ACTION = "autopay_charge_now"
LINE_BLOCK_PREFIX = "autopay_line_"  # one section per charge in the DM: the message names its charges
