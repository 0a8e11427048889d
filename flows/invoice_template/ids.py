"""The names Slack sends back to us: callback, action and block ids of the invoice template views."""

from __future__ import annotations

TEMPLATE_CALLBACK = "invoice_template"
NOTICE_CALLBACK = "invoice_template_notice"

PREVIEW_ACTION = "invoice_template_preview"
RETRY_SAVE_ACTION = "invoice_template_retry_save"

# Input blocks: each holds one element whose action id is the block id, so an error keyed by block id
# (response_action: errors) lands under the field it is about.
DESIGN = "template_design"
PRACTICE_NAME = "template_practice_name"
LOGO = "template_logo"
LOGO_REMOVE = "template_logo_remove"
COLOUR = "template_colour"
CUSTOM_COLOUR = "template_custom_colour"
FOOTER = "template_footer"
TERMS = "template_terms"
PREVIEW = "template_preview"
PREVIEW_STATUS = "template_preview_status"

CUSTOM = "custom"
REMOVE = "remove"
