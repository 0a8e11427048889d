"""The names Slack sends back to us: the report's action ids, and its claim-once kinds."""

from __future__ import annotations

EXPORT_ACTION = "reports_export_csv"
CHART_ACTION = "reports_chart"
EXPORT_BLOCK = "reports_actions"

# Claim-once kinds (the ledger's kind column holds 32 characters at most).
EXPORT_CLAIM = "report_csv"
CHART_CLAIM = "report_chart"
