"""The names Slack sends back to us: callback ids, action ids and block ids of the billing settings views."""

from __future__ import annotations

SETTINGS_CALLBACK = "billing_settings"
RATE_CALLBACK = "billing_settings_rate"
NOTICE_CALLBACK = "billing_settings_notice"

ADD_RATE_ACTION = "billing_settings_add_rate"
EDIT_RATE_ACTION = "billing_settings_edit_rate"
ARCHIVE_RATE_ACTION = "billing_settings_archive_rate"
RETRY_SAVE_ACTION = "billing_settings_retry_save"
RETRY_RATE_ACTION = "billing_settings_retry_rate"

# Input blocks: each block holds one element whose action id is the block id, so an error keyed by
# block id (response_action: errors) lands under the field it is about.
CURRENCY = "currency"
ADDRESS_LINE1 = "address_line1"
ADDRESS_LINE2 = "address_line2"
CITY = "city"
REGION = "region"
POSTAL_CODE = "postal_code"
COUNTRY = "country"
ADMIN_GROUP = "billing_admin_group"
CLIENT_DETAILS = "privacy_client_details"  # who sees client details and balances: ADMINS_ONLY or MEMBERS
CHANNEL_CARDS = "privacy_channel_cards"  # what a channel's invoice card shows: INITIALS or FULL_CARDS
CHANNEL_LANGUAGE = "channel_language"  # the language of what Billbot posts to channels: one of bot.i18n.LOCALES

RATE_NAME = "rate_name"
RATE_PERCENTAGE = "rate_percentage"
RATE_INCLUSIVE = "rate_inclusive"
RATE_DESCRIPTION = "rate_description"
RATE_COUNTRY = "rate_country"

# The billing-admin select's "nobody" choice: a static select cannot be emptied once something is picked.
NO_GROUP = "none"

# The privacy radios' choices.
ADMINS_ONLY = "admins"
MEMBERS = "members"
INITIALS = "initials"
FULL_CARDS = "full"
