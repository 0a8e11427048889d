"""The names Slack sends back to us: callback, action and block ids of the reminders views and digests."""

from __future__ import annotations

SETTINGS_CALLBACK = "reminders_settings"
NOTICE_CALLBACK = "reminders_notice"

# Input blocks: each holds one element whose action id is the block id, so an error keyed by block id lands
# under its field.
DAYS_BEFORE = "reminders_days_before"
ON_DUE_DATE = "reminders_on_due_date"
DAYS_AFTER = "reminders_days_after"
DELIVERY = "reminders_delivery"
CHANNEL = "reminders_channel"
SEND_TIME = "reminders_send_time"
MONTHLY_SUMMARY = "reminders_monthly_summary"

ON_DUE_DATE_VALUE = "on_due_date"
EMAIL_CLIENT_VALUE = "email_client"
TELL_TEAM_VALUE = "tell_team"
MONTHLY_SUMMARY_VALUE = "monthly_summary"

# The digest's buttons (each carries our invoice id) and the invoice message's "Stop reminders".
SEND_NOW_ACTION = "reminders_send_now"
SNOOZE_ACTION = "reminders_snooze"
STOP_ACTION = "reminders_stop"
RESUME_ACTION = "reminders_resume"
