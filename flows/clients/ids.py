"""The names Slack sends back to us for `/client`, a client's sessions and the services catalogue."""

from __future__ import annotations

# -- clients ----------------------------------------------------------------------------------------------
NEW_CLIENT_CALLBACK = "client_new"
SESSION_CALLBACK = "client_session"
NOTICE_CALLBACK = "client_notice"

# "More" / "Previous" (two ids: action ids are unique within a block); the value holds the query and offset.
LIST_MORE_ACTION = "client_list_more"
LIST_PREVIOUS_ACTION = "client_list_previous"
OPEN_RECORD_ACTION = "client_open"  # a client's button in the list: the value is the client id
NEW_CLIENT_ACTION = "client_new_open"  # "New client" where a search found nobody
ADD_SESSION_ACTION = "client_add_session"
NEW_INVOICE_ACTION = "client_new_invoice"
INVOICE_SESSIONS_ACTION = "client_invoice_sessions"

# Input blocks of the new client modal: each block holds one element whose action id is the block id.
NAME = "client_name"
EMAIL = "client_email"
PHONE = "client_phone"
ADDRESS_LINE1 = "client_address_line1"
ADDRESS_LINE2 = "client_address_line2"
CITY = "client_city"
REGION = "client_region"
POSTAL_CODE = "client_postal_code"
COUNTRY = "client_country"

# The session modal.
SESSION_DATE = "session_date"
SESSION_SERVICE = "session_service"
SESSION_DURATION = "session_duration"
SESSION_NOTES = "session_notes"

# -- the services catalogue ---------------------------------------------------------------------------------
# Pushed from the billing settings modal (flows/billing_settings/views.py names this action id as a string).
SERVICES_OPEN_ACTION = "services_open"
SERVICES_CALLBACK = "services_catalog"
SERVICES_FORM_CALLBACK = "services_form"
SERVICE_ADD_ACTION = "services_add"
SERVICE_EDIT_ACTION = "services_edit"
SERVICE_ARCHIVE_ACTION = "services_archive"
SERVICES_BACK_ACTION = "services_back"

SERVICE_NAME = "service_name"
SERVICE_PRICE = "service_price"
SERVICE_TAX_RATE = "service_tax_rate"
NO_TAX = "none"  # the tax select's "no tax" choice

# -- changing a client (edit, merge, archive, forget) and their sessions ----------------------------------------
EDIT_CLIENT_CALLBACK = "client_edit"
MERGE_CALLBACK = "client_merge"
MERGE_CONFIRM_CALLBACK = "client_merge_confirm"
SESSION_DELETE_CALLBACK = "client_session_delete"
FORGET_CALLBACK = "client_forget"
SESSION_EDIT_CALLBACK = "client_session_edit"

EDIT_CLIENT_ACTION = "client_edit_open"  # the value is the client id
MORE_ACTION = "client_more"  # the record's overflow menu: merge, archive/unarchive, forget
SESSION_ACTION = "client_session_menu"  # a session's overflow: edit, delete (or why not)
ARCHIVED_WORD = "archived"  # `/client archived`: the archived clients, to open and unarchive

# The overflow menus' option values: "<verb>:<id>".
MERGE = "merge"
ARCHIVE = "archive"
UNARCHIVE = "unarchive"
FORGET = "forget"
SESSION_EDIT = "edit"
SESSION_DELETE = "delete"
SESSION_LOCKED = "locked"  # an invoiced session: the option explains, it does nothing

LANGUAGE = "client_language"
MERGE_DUPLICATE = "merge_duplicate"  # the duplicate to fold into the client whose record it is
FORGET_NAME = "forget_name"
