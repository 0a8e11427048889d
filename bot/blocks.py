"""Small typed builders for the Block Kit the app sends.

Each builder clips its text to Slack's limit for that field, so a long client name or a translation
that runs long shortens with an ellipsis instead of making Slack refuse the whole view.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

from bot.i18n import sort_key

Block = dict[str, Any]
Element = dict[str, Any]

# Slack's documented limits (https://api.slack.com/reference/block-kit).
MODAL_TITLE_MAX = 24
MODAL_BUTTON_MAX = 24
BUTTON_TEXT_MAX = 75
HEADER_TEXT_MAX = 150
SECTION_TEXT_MAX = 3000
CONTEXT_TEXT_MAX = 3000
PRIVATE_METADATA_MAX = 3000
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit)}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_TEXT_MAX)}


def section(text: str, *, accessory: Element | None = None, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id is not None:
        block["block_id"] = block_id
    return block


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text, CONTEXT_TEXT_MAX) for text in texts[:10]]}


def divider() -> Block:
    return {"type": "divider"}


def actions(*elements: Element, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements[:25])}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def button(
    text: str,
    action_id: str,
    *,
    value: str | None = None,
    url: str | None = None,
    style: Literal["primary", "danger"] | None = None,
) -> Element:
    element: Element = {"type": "button", "text": plain(text, BUTTON_TEXT_MAX), "action_id": action_id}
    if value is not None:
        element["value"] = value
    if url is not None:
        element["url"] = url
    if style is not None:
        element["style"] = style
    return element


def modal(
    title: str,
    blocks: list[Block],
    *,
    callback_id: str,
    close: str,
    submit: str | None = None,
    private_metadata: str = "",
    external_id: str | None = None,
) -> dict[str, Any]:
    if len(private_metadata) > PRIVATE_METADATA_MAX:
        # Unlike display text, metadata cannot be clipped without losing state: fail loudly in our own code.
        raise ValueError(f"private_metadata is {len(private_metadata)} characters; Slack allows {PRIVATE_METADATA_MAX}")
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, MODAL_TITLE_MAX),
        "close": plain(close, MODAL_BUTTON_MAX),
        "blocks": blocks[:VIEW_BLOCKS_MAX],
        "private_metadata": private_metadata,
    }
    if submit is not None:
        view["submit"] = plain(submit, MODAL_BUTTON_MAX)
    if external_id is not None:
        view["external_id"] = external_id
    return view


def notice_modal(
    title: str, text: str, *, callback_id: str, close: str, retry: Element | None = None, private_metadata: str = ""
) -> dict[str, Any]:
    """What replaces a modal while and after its work runs: one status line, and a Retry button when it failed."""
    content: list[Block] = [section(text, block_id="notice")]
    if retry is not None:
        content.append(actions(retry, block_id="notice_retry"))
    return modal(title, content, callback_id=callback_id, close=close, private_metadata=private_metadata)


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters in mrkdwn, so what users typed (a client named "<!channel>") is shown,
    not obeyed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def app_messages_link(team_id: str, app_id: str | None, label: str) -> str:
    """A mrkdwn link to the app's Messages tab (Slack's deep link), where the bot's DMs land; the plain
    label when the app's id is unknown."""
    if not app_id:
        return label
    return f"<slack://app?team={team_id}&id={app_id}&tab=messages|{escape_mrkdwn(label)}>"


def home(blocks: list[Block]) -> dict[str, Any]:
    return {"type": "home", "blocks": blocks[:VIEW_BLOCKS_MAX]}


# -- inputs and selects (modals) ------------------------------------------------------------------------------

OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTION_DESCRIPTION_MAX = 75
OPTION_GROUP_LABEL_MAX = 75
SELECT_OPTIONS_MAX = 100
SELECT_OPTION_GROUPS_MAX = 100
CHOICE_OPTIONS_MAX = 10
INPUT_LABEL_MAX = 2000
INPUT_HINT_MAX = 2000
PLACEHOLDER_MAX = 150
TEXT_INPUT_LENGTH_MAX = 3000
BUTTON_VALUE_MAX = 2000
CONFIRM_TITLE_MAX = 100
CONFIRM_TEXT_MAX = 300
CONFIRM_BUTTON_MAX = 30


def option(text: str, value: str, *, description: str | None = None) -> Element:
    if not value or len(value) > OPTION_VALUE_MAX:
        # A value is what comes back to us: clipping it would silently select something else.
        raise ValueError(f"option value must be 1 to {OPTION_VALUE_MAX} characters, got {len(value)}")
    result: Element = {"text": plain(text, OPTION_TEXT_MAX), "value": value}
    if description:
        result["description"] = plain(description, OPTION_DESCRIPTION_MAX)
    return result


def option_group(label: str, options: list[Element]) -> Element:
    return {"label": plain(label, OPTION_GROUP_LABEL_MAX), "options": options[:SELECT_OPTIONS_MAX]}


def plain_text_input(
    action_id: str,
    *,
    initial_value: str | None = None,
    placeholder: str | None = None,
    max_length: int | None = None,
    multiline: bool = False,
) -> Element:
    element: Element = {"type": "plain_text_input", "action_id": action_id}
    if max_length is not None:
        element["max_length"] = min(max_length, TEXT_INPUT_LENGTH_MAX)
    if initial_value:
        element["initial_value"] = initial_value[: element.get("max_length", TEXT_INPUT_LENGTH_MAX)]
    if placeholder:
        element["placeholder"] = plain(placeholder, PLACEHOLDER_MAX)
    if multiline:
        element["multiline"] = True
    return element


def static_select(
    action_id: str,
    *,
    options: list[Element] | None = None,
    option_groups: list[Element] | None = None,
    initial_option: Element | None = None,
    placeholder: str | None = None,
) -> Element:
    """A select with type-ahead: Slack filters a static select's options as the user types."""
    if (options is None) == (option_groups is None):
        raise ValueError("give exactly one of options and option_groups")
    element: Element = {"type": "static_select", "action_id": action_id}
    if options is not None:
        element["options"] = options[:SELECT_OPTIONS_MAX]
    else:
        assert option_groups is not None
        element["option_groups"] = option_groups[:SELECT_OPTION_GROUPS_MAX]
    if initial_option is not None:
        element["initial_option"] = initial_option
    if placeholder:
        element["placeholder"] = plain(placeholder, PLACEHOLDER_MAX)
    return element


def radio_buttons(action_id: str, options: list[Element], *, initial_option: Element | None = None) -> Element:
    element: Element = {"type": "radio_buttons", "action_id": action_id, "options": options[:CHOICE_OPTIONS_MAX]}
    if initial_option is not None:
        element["initial_option"] = initial_option
    return element


def input_block(
    label: str,
    element: Element,
    *,
    block_id: str,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label, INPUT_LABEL_MAX), "element": element}
    if optional:
        block["optional"] = True
    if hint:
        block["hint"] = plain(hint, INPUT_HINT_MAX)
    return block


def text_field(
    label: str,
    block_id: str,
    *,
    max_length: int,
    initial: str | None = None,
    optional: bool = False,
    placeholder: str | None = None,
    hint: str | None = None,
    multiline: bool = False,
) -> Block:
    """A modal's text input whose action id is its block id (how the flows read their forms back)."""
    element = plain_text_input(
        block_id, initial_value=initial, placeholder=placeholder, max_length=max_length, multiline=multiline
    )
    return input_block(label, element, block_id=block_id, optional=optional, hint=hint)


def confirm(title: str, text: str, *, yes: str, no: str, danger: bool = False) -> dict[str, Any]:
    dialog: dict[str, Any] = {
        "title": plain(title, CONFIRM_TITLE_MAX),
        "text": plain(text, CONFIRM_TEXT_MAX),
        "confirm": plain(yes, CONFIRM_BUTTON_MAX),
        "deny": plain(no, CONFIRM_BUTTON_MAX),
    }
    if danger:
        dialog["style"] = "danger"
    return dialog


OVERFLOW_OPTIONS_MAX = 5


def overflow(action_id: str, options: list[Element]) -> Element:
    """A "⋯" menu (a section's accessory or in an actions block): 2 to 5 options, each sent back as chosen."""
    if not 2 <= len(options) <= OVERFLOW_OPTIONS_MAX:
        raise ValueError(f"an overflow menu holds 2 to {OVERFLOW_OPTIONS_MAX} options, got {len(options)}")
    # Slack's overflow options take no description.
    return {
        "type": "overflow",
        "action_id": action_id,
        "options": [{k: o[k] for k in ("text", "value")} for o in options],
    }


def datepicker(action_id: str, *, initial_date: str | None = None, placeholder: str | None = None) -> Element:
    """A date picker; ``initial_date`` as Slack wants it, ``YYYY-MM-DD``."""
    element: Element = {"type": "datepicker", "action_id": action_id}
    if initial_date:
        element["initial_date"] = initial_date
    if placeholder:
        element["placeholder"] = plain(placeholder, PLACEHOLDER_MAX)
    return element


def number_input(
    action_id: str,
    *,
    decimal: bool = False,
    initial_value: str | None = None,
    min_value: str | None = None,
    max_value: str | None = None,
    placeholder: str | None = None,
) -> Element:
    """A number field: Slack itself refuses what is not a number in range before the submission reaches us."""
    element: Element = {"type": "number_input", "action_id": action_id, "is_decimal_allowed": decimal}
    if initial_value:
        element["initial_value"] = initial_value
    if min_value is not None:
        element["min_value"] = min_value
    if max_value is not None:
        element["max_value"] = max_value
    if placeholder:
        element["placeholder"] = plain(placeholder, PLACEHOLDER_MAX)
    return element


def external_select(
    action_id: str,
    *,
    initial_option: Element | None = None,
    placeholder: str | None = None,
    min_query_length: int | None = None,
) -> Element:
    """A select whose options the app serves (block_suggestion, the manifest's options load URL), for long lists."""
    element: Element = {"type": "external_select", "action_id": action_id}
    if initial_option is not None:
        element["initial_option"] = initial_option
    if placeholder:
        element["placeholder"] = plain(placeholder, PLACEHOLDER_MAX)
    if min_query_length is not None:
        element["min_query_length"] = min_query_length
    return element


DispatchTrigger = Literal["on_enter_pressed", "on_character_entered"]


def dispatching(block: Block, *triggers: DispatchTrigger) -> Block:
    """An input block that tells the app as soon as its element changes (block_actions), not only on submit.

    ``triggers`` applies to text and number inputs; selects and pickers dispatch when a choice is made.
    """
    block["dispatch_action"] = True
    if triggers:
        block["element"]["dispatch_action_config"] = {"trigger_actions_on": list(triggers)}
    return block


ConversationType = Literal["public", "private", "im", "mpim"]


def conversations_select(
    action_id: str,
    *,
    initial_conversation: str | None = None,
    placeholder: str | None = None,
    include: tuple[ConversationType, ...] = ("public", "private"),
) -> Element:
    """One channel, picked from the member's own list (Slack serves the options; no scope needed)."""
    element: Element = {
        "type": "conversations_select",
        "action_id": action_id,
        "filter": {"include": list(include), "exclude_bot_users": True},
    }
    if initial_conversation:
        element["initial_conversation"] = initial_conversation
    if placeholder:
        element["placeholder"] = plain(placeholder, PLACEHOLDER_MAX)
    return element


def multi_conversations_select(
    action_id: str,
    *,
    initial_conversations: list[str] | None = None,
    placeholder: str | None = None,
    include: tuple[ConversationType, ...] = ("public", "private"),
    max_selected_items: int | None = None,
) -> Element:
    element = conversations_select(action_id, placeholder=placeholder, include=include)
    element["type"] = "multi_conversations_select"
    if initial_conversations:
        element["initial_conversations"] = list(initial_conversations)
    if max_selected_items is not None:
        element["max_selected_items"] = max_selected_items
    return element


def file_input(action_id: str, *, filetypes: list[str] | None = None, max_files: int = 1) -> Element:
    """A file upload field (input blocks in modals only); the submission carries the files Slack stored."""
    element: Element = {"type": "file_input", "action_id": action_id, "max_files": max(1, min(max_files, 10))}
    if filetypes:
        element["filetypes"] = filetypes
    return element


def checkboxes(action_id: str, options: list[Element], *, initial_options: list[Element] | None = None) -> Element:
    element: Element = {"type": "checkboxes", "action_id": action_id, "options": options[:CHOICE_OPTIONS_MAX]}
    if initial_options:
        element["initial_options"] = initial_options
    return element


def timepicker(action_id: str, *, initial_time: str | None = None, placeholder: str | None = None) -> Element:
    """A time of day, ``HH:mm`` as Slack sends it back (``selected_time``)."""
    element: Element = {"type": "timepicker", "action_id": action_id}
    if initial_time:
        element["initial_time"] = initial_time
    if placeholder:
        element["placeholder"] = plain(placeholder, PLACEHOLDER_MAX)
    return element


def grouped_select(action_id: str, options: list[Element], initial: str | None, placeholder: str) -> Element:
    """A long list (currencies, countries) as options grouped by initial letter, type-ahead searchable.

    Slack allows 100 options per group and 100 groups; letters ignore accents, so "Équateur" is under E.
    """
    groups: dict[str, list[Element]] = defaultdict(list)
    for opt in options:
        letter = sort_key(opt["text"]["text"])[:1].upper() or "#"
        groups[letter if letter.isalpha() else "#"].append(opt)
    option_groups = [option_group(letter, groups[letter]) for letter in sorted(groups)]
    chosen = next((o for o in options if o["value"] == initial), None) if initial else None
    return static_select(action_id, option_groups=option_groups, initial_option=chosen, placeholder=placeholder)
