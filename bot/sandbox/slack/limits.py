"""Block Kit limits, checked the way Slack's Web API checks them.

Pure functions over plain dicts, so the app's own tests can call ``check_message`` / ``check_view``
on what they are about to send without a server.

Where the wording of a problem is known from Slack's real answers it is reproduced, e.g.
``no more than 50 items allowed [json-pointer:/blocks]`` with error ``invalid_blocks`` from
``chat.postMessage`` (seen in github.com/ryanrosello-og/playwright-slack-report/issues/180),
``no more than 10 items allowed [json-pointer:/blocks/3/fields]`` (getsentry/eng-pipes#725),
``no more than 25 items allowed [json-pointer:/blocks/1/elements]`` (adobe/spacecat-api-service#176),
``no more than 100 items allowed [json-pointer:/view/blocks]`` from ``views.open``
(grafana/oncall#210) and ``failed to match all allowed schemas [json-pointer:/view]`` /
``missing required field: title [json-pointer:/view]`` with ``invalid_arguments``
(nicklambourne/slackblocks#36, slackapi/java-slack-sdk#302). Other wordings follow the same pattern.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Surface = Literal["message", "modal", "home"]

MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100
# chat.postMessage docs: "Provide no more than 40,000 characters" for `text`.
MESSAGE_TEXT_MAX = 40_000
# chat.postMessage error too_many_attachments: "A maximum of 100 attachments are allowed on a message."
MESSAGE_MAX_ATTACHMENTS = 100
VIEW_TITLE_MAX = 24
VIEW_BUTTON_MAX = 24
PRIVATE_METADATA_MAX = 3000
CALLBACK_ID_MAX = 255
EXTERNAL_ID_MAX = 255
BLOCK_ID_MAX = 255
ACTION_ID_MAX = 255
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
SECTION_FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
URL_MAX = 3000
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTION_DESCRIPTION_MAX = 75
SELECT_OPTIONS_MAX = 100
SELECT_OPTION_GROUPS_MAX = 100
OPTION_GROUP_LABEL_MAX = 75
OVERFLOW_OPTIONS_MIN = 2
OVERFLOW_OPTIONS_MAX = 5
CHOICE_OPTIONS_MAX = 10  # checkboxes and radio_buttons
INPUT_LABEL_MAX = 2000
INPUT_HINT_MAX = 2000
TEXT_INPUT_LENGTH_MAX = 3000
PLACEHOLDER_MAX = 150
CONTEXT_ELEMENTS_MAX = 10
ACTIONS_ELEMENTS_MAX = 25
IMAGE_URL_MAX = 3000
ALT_TEXT_MAX = 2000
IMAGE_TITLE_MAX = 2000
CONFIRM_TITLE_MAX = 100
CONFIRM_TEXT_MAX = 300
CONFIRM_BUTTON_MAX = 30

SELECTS = {
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
}
MULTI_SELECTS = {f"multi_{name}" for name in SELECTS}
TEXT_INPUTS = {"plain_text_input", "email_text_input", "url_text_input", "number_input"}
PICKERS = {"datepicker", "timepicker", "datetimepicker"}
CHOICES = {"checkboxes", "radio_buttons"}

# Which interactive elements each container accepts (Block Kit reference, per block).
SECTION_ACCESSORIES = {"button", "image", "overflow", *SELECTS, *MULTI_SELECTS, *CHOICES, "datepicker", "timepicker"}
ACTIONS_ELEMENTS = {"button", "overflow", *SELECTS, *MULTI_SELECTS, *CHOICES, *PICKERS}
INPUT_ELEMENTS = {
    *TEXT_INPUTS,
    *SELECTS,
    *MULTI_SELECTS,
    *CHOICES,
    *PICKERS,
    "file_input",
    "rich_text_input",
}

BLOCK_SURFACES: dict[str, set[str]] = {
    "section": {"message", "modal", "home"},
    "divider": {"message", "modal", "home"},
    "image": {"message", "modal", "home"},
    "actions": {"message", "modal", "home"},
    "context": {"message", "modal", "home"},
    "header": {"message", "modal", "home"},
    "rich_text": {"message", "modal", "home"},
    "video": {"message", "modal", "home"},
    "file": {"message"},
    "markdown": {"message"},
    # Slack refuses input blocks in chat.postMessage with invalid_blocks
    # (slackapi/python-slack-sdk#1257); the app must only put them in modals and home tabs.
    "input": {"modal", "home"},
}


@dataclass(frozen=True)
class Problem:
    """One reason Slack would refuse the payload.

    ``error`` is the Web API error name the whole call fails with; ``message`` and ``pointer`` make up
    the line Slack puts in ``response_metadata.messages``.
    """

    error: str
    message: str
    pointer: str

    def __str__(self) -> str:
        return f"[ERROR] {self.message} [json-pointer:{self.pointer}]"

    @property
    def detail(self) -> str:
        """The line without the ``[ERROR]`` prefix, as Slack lists it under ``errors`` for blocks."""
        return f"{self.message} [json-pointer:{self.pointer}]"


class _Checker:
    def __init__(self, surface: Surface, error: str) -> None:
        self.surface = surface
        self.error = error
        self.problems: list[Problem] = []

    def add(self, pointer: str, message: str, error: str | None = None) -> None:
        self.problems.append(Problem(error or self.error, message, pointer))

    # ---- scalars -------------------------------------------------------------------------

    def string(self, value: Any, pointer: str, max_len: int, *, required: bool = True, min_len: int = 0) -> None:
        if value is None:
            if required:
                parent, _, name = pointer.rpartition("/")
                self.add(parent or "/", f"missing required field: {name}")
            return
        if not isinstance(value, str):
            self.add(pointer, "must provide a string")
            return
        if len(value) > max_len:
            self.add(pointer, f"must be less than {max_len + 1} characters")
        elif len(value) < min_len:
            self.add(pointer, f"must be more than {min_len - 1} characters")

    def text(
        self,
        obj: Any,
        pointer: str,
        max_len: int,
        *,
        plain_only: bool = False,
        required: bool = True,
    ) -> None:
        """A composition text object: ``{"type": "plain_text"|"mrkdwn", "text": ...}``."""
        if obj is None:
            if required:
                parent, _, name = pointer.rpartition("/")
                self.add(parent or "/", f"missing required field: {name}")
            return
        if not isinstance(obj, Mapping):
            self.add(pointer, "must provide an object")
            return
        kind = obj.get("type")
        allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if kind not in allowed:
            # Slack answers a mrkdwn object where only plain_text fits with a schema mismatch.
            self.add(pointer, "failed to match all allowed schemas")
            if kind not in ("plain_text", "mrkdwn"):
                self.add(f"{pointer}/type", f"unsupported type: {kind}")
            return
        self.string(obj.get("text"), f"{pointer}/text", max_len, min_len=1)

    def items(self, value: Any, pointer: str, max_items: int, *, min_items: int = 0) -> list[Any]:
        if not isinstance(value, list):
            self.add(pointer, "must provide an array")
            return []
        if len(value) > max_items:
            self.add(pointer, f"no more than {max_items} items allowed")
        if len(value) < min_items:
            self.add(pointer, f"no less than {min_items} items allowed")
        return value

    # ---- elements ------------------------------------------------------------------------

    def action_id(self, element: Mapping[str, Any], pointer: str, seen: set[str] | None) -> None:
        action_id = element.get("action_id")
        if action_id is None:
            return
        self.string(action_id, f"{pointer}/action_id", ACTION_ID_MAX, min_len=1)
        if seen is not None and isinstance(action_id, str):
            if action_id in seen:
                self.add(f"{pointer}/action_id", f"duplicate action_id: {action_id}")
            seen.add(action_id)

    def confirm(self, obj: Any, pointer: str) -> None:
        if obj is None:
            return
        if not isinstance(obj, Mapping):
            self.add(pointer, "must provide an object")
            return
        self.text(obj.get("title"), f"{pointer}/title", CONFIRM_TITLE_MAX, plain_only=True)
        self.text(obj.get("text"), f"{pointer}/text", CONFIRM_TEXT_MAX)
        self.text(obj.get("confirm"), f"{pointer}/confirm", CONFIRM_BUTTON_MAX, plain_only=True)
        self.text(obj.get("deny"), f"{pointer}/deny", CONFIRM_BUTTON_MAX, plain_only=True)

    def option(self, obj: Any, pointer: str, *, plain_only: bool) -> None:
        if not isinstance(obj, Mapping):
            self.add(pointer, "must provide an object")
            return
        self.text(obj.get("text"), f"{pointer}/text", OPTION_TEXT_MAX, plain_only=plain_only)
        self.string(obj.get("value"), f"{pointer}/value", OPTION_VALUE_MAX, min_len=1)
        self.text(obj.get("description"), f"{pointer}/description", OPTION_DESCRIPTION_MAX, required=False)
        if "url" in obj:
            self.string(obj.get("url"), f"{pointer}/url", URL_MAX)

    def options(self, element: Mapping[str, Any], pointer: str, *, min_items: int, max_items: int) -> None:
        # Options in selects and overflow menus only take plain_text; checkboxes/radios allow mrkdwn.
        plain_only = element.get("type") not in CHOICES
        has_groups = "option_groups" in element
        if "options" in element or not has_groups:
            if "options" not in element and element.get("type") in ("static_select", "multi_static_select"):
                self.add(pointer, "missing required field: options")
            elif "options" in element:
                for i, opt in enumerate(
                    self.items(element["options"], f"{pointer}/options", max_items, min_items=min_items)
                ):
                    self.option(opt, f"{pointer}/options/{i}", plain_only=plain_only)
        if has_groups:
            if "options" in element:
                self.add(pointer, "cannot provide both options and option_groups")
            groups = self.items(element["option_groups"], f"{pointer}/option_groups", SELECT_OPTION_GROUPS_MAX)
            for g, group in enumerate(groups):
                gp = f"{pointer}/option_groups/{g}"
                if not isinstance(group, Mapping):
                    self.add(gp, "must provide an object")
                    continue
                self.text(group.get("label"), f"{gp}/label", OPTION_GROUP_LABEL_MAX, plain_only=True)
                for i, opt in enumerate(self.items(group.get("options"), f"{gp}/options", SELECT_OPTIONS_MAX)):
                    self.option(opt, f"{gp}/options/{i}", plain_only=True)

    def element(self, element: Any, pointer: str, allowed: set[str], seen: set[str] | None = None) -> None:
        if not isinstance(element, Mapping):
            self.add(pointer, "must provide an object")
            return
        kind = element.get("type")
        if kind not in allowed:
            self.add(f"{pointer}/type", f"unsupported type: {kind}")
            return
        self.action_id(element, pointer, seen)
        if kind == "button":
            self.text(element.get("text"), f"{pointer}/text", BUTTON_TEXT_MAX, plain_only=True)
            if "value" in element:
                self.string(element["value"], f"{pointer}/value", BUTTON_VALUE_MAX)
            if "url" in element:
                self.string(element["url"], f"{pointer}/url", URL_MAX)
            if element.get("style") not in (None, "primary", "danger"):
                self.add(f"{pointer}/style", f"unsupported style: {element.get('style')}")
            if "accessibility_label" in element:
                self.string(element["accessibility_label"], f"{pointer}/accessibility_label", 75)
        elif kind == "image":
            self.string(element.get("image_url"), f"{pointer}/image_url", IMAGE_URL_MAX, min_len=1)
            self.string(element.get("alt_text"), f"{pointer}/alt_text", ALT_TEXT_MAX, min_len=1)
        elif kind == "overflow":
            self.options(element, pointer, min_items=OVERFLOW_OPTIONS_MIN, max_items=OVERFLOW_OPTIONS_MAX)
        elif kind in CHOICES:
            self.options(element, pointer, min_items=1, max_items=CHOICE_OPTIONS_MAX)
        elif kind in ("static_select", "multi_static_select"):
            self.options(element, pointer, min_items=1, max_items=SELECT_OPTIONS_MAX)
        elif kind in TEXT_INPUTS:
            for key in ("max_length", "min_length"):
                value = element.get(key)
                if value is not None and (not isinstance(value, int) or not 0 <= value <= TEXT_INPUT_LENGTH_MAX):
                    self.add(f"{pointer}/{key}", f"must be no more than {TEXT_INPUT_LENGTH_MAX}")
        if kind in SELECTS | MULTI_SELECTS | TEXT_INPUTS | PICKERS or kind == "rich_text_input":
            self.text(
                element.get("placeholder"), f"{pointer}/placeholder", PLACEHOLDER_MAX, plain_only=True, required=False
            )
        self.confirm(element.get("confirm"), f"{pointer}/confirm")

    # ---- blocks --------------------------------------------------------------------------

    def block(self, block: Any, pointer: str, block_ids: set[str]) -> None:
        if not isinstance(block, Mapping):
            self.add(pointer, "must provide an object")
            return
        kind = block.get("type")
        if kind not in BLOCK_SURFACES:
            self.add(f"{pointer}/type", f"unsupported type: {kind}")
            return
        if self.surface not in BLOCK_SURFACES[kind]:
            self.add(f"{pointer}/type", f"unsupported type: {kind}")
            return
        block_id = block.get("block_id")
        if block_id is not None:
            self.string(block_id, f"{pointer}/block_id", BLOCK_ID_MAX, min_len=1)
            if isinstance(block_id, str):
                if block_id in block_ids:
                    self.add(f"{pointer}/block_id", f"duplicate block_id: {block_id}")
                block_ids.add(block_id)
        if kind == "section":
            if "text" not in block and "fields" not in block:
                self.add(pointer, "must provide either text or fields")
            if "text" in block:
                self.text(block["text"], f"{pointer}/text", SECTION_TEXT_MAX)
            if "fields" in block:
                fields = self.items(block["fields"], f"{pointer}/fields", SECTION_FIELDS_MAX, min_items=1)
                for i, field in enumerate(fields):
                    self.text(field, f"{pointer}/fields/{i}", SECTION_FIELD_TEXT_MAX)
            if "accessory" in block:
                self.element(block["accessory"], f"{pointer}/accessory", SECTION_ACCESSORIES)
        elif kind == "header":
            self.text(block.get("text"), f"{pointer}/text", HEADER_TEXT_MAX, plain_only=True)
        elif kind == "actions":
            seen: set[str] = set()
            elements = self.items(block.get("elements"), f"{pointer}/elements", ACTIONS_ELEMENTS_MAX, min_items=1)
            for i, element in enumerate(elements):
                self.element(element, f"{pointer}/elements/{i}", ACTIONS_ELEMENTS, seen)
        elif kind == "context":
            elements = self.items(block.get("elements"), f"{pointer}/elements", CONTEXT_ELEMENTS_MAX, min_items=1)
            for i, element in enumerate(elements):
                ep = f"{pointer}/elements/{i}"
                if isinstance(element, Mapping) and element.get("type") in ("plain_text", "mrkdwn"):
                    self.text(element, ep, SECTION_TEXT_MAX)
                else:
                    self.element(element, ep, {"image"})
        elif kind == "image":
            self.string(
                block.get("image_url"),
                f"{pointer}/image_url",
                IMAGE_URL_MAX,
                min_len=1,
                required="slack_file" not in block,
            )
            self.string(block.get("alt_text"), f"{pointer}/alt_text", ALT_TEXT_MAX, min_len=1)
            self.text(block.get("title"), f"{pointer}/title", IMAGE_TITLE_MAX, plain_only=True, required=False)
        elif kind == "input":
            self.text(block.get("label"), f"{pointer}/label", INPUT_LABEL_MAX, plain_only=True)
            self.text(block.get("hint"), f"{pointer}/hint", INPUT_HINT_MAX, plain_only=True, required=False)
            if "element" not in block:
                self.add(pointer, "missing required field: element")
            else:
                self.element(block["element"], f"{pointer}/element", INPUT_ELEMENTS)

    def blocks(self, blocks: Any, pointer: str, max_blocks: int) -> list[Any]:
        items = self.items(blocks, pointer, max_blocks)
        block_ids: set[str] = set()
        for i, block in enumerate(items):
            self.block(block, f"{pointer}/{i}", block_ids)
        return items


def has_input_blocks(blocks: Iterable[Any]) -> bool:
    return any(isinstance(b, Mapping) and b.get("type") == "input" for b in blocks)


def check_blocks(blocks: Any, surface: Surface = "message", pointer: str = "/blocks") -> list[Problem]:
    """Problems in a blocks array alone (no message- or view-level rules)."""
    checker = _Checker(surface, "invalid_blocks" if surface == "message" else "invalid_arguments")
    checker.blocks(blocks, pointer, MESSAGE_MAX_BLOCKS if surface == "message" else VIEW_MAX_BLOCKS)
    return checker.problems


def check_message(
    text: Any = None,
    blocks: Any = None,
    attachments: Any = None,
    *,
    require_content: bool = True,
) -> list[Problem]:
    """Problems Slack would report for a ``chat.postMessage`` / ``chat.update`` / ``chat.postEphemeral``.

    Errors: ``no_text`` (nothing to show), ``msg_too_long`` (``text`` over 40,000 characters),
    ``too_many_attachments``, ``invalid_blocks`` (anything wrong inside ``blocks``; Slack answers
    ``invalid_blocks`` for too many blocks as well, see the module docstring).
    """
    checker = _Checker("message", "invalid_blocks")
    empty_text = text is None or text == ""
    if require_content and empty_text and not blocks and not attachments:
        checker.add("/text", "must provide text, blocks or attachments", "no_text")
    if text is not None and not isinstance(text, str):
        checker.add("/text", "must provide a string", "invalid_arguments")
    elif isinstance(text, str) and len(text) > MESSAGE_TEXT_MAX:
        checker.add("/text", f"must be less than {MESSAGE_TEXT_MAX + 1} characters", "msg_too_long")
    if blocks is not None:
        checker.blocks(blocks, "/blocks", MESSAGE_MAX_BLOCKS)
    if attachments is not None:
        if not isinstance(attachments, list):
            checker.add("/attachments", "must provide an array", "invalid_attachments")
        elif len(attachments) > MESSAGE_MAX_ATTACHMENTS:
            checker.add("/attachments", f"no more than {MESSAGE_MAX_ATTACHMENTS} items allowed", "too_many_attachments")
        else:
            for i, attachment in enumerate(attachments):
                if not isinstance(attachment, Mapping):
                    checker.add(f"/attachments/{i}", "must provide an object", "invalid_attachments")
                elif "blocks" in attachment:
                    sub = _Checker("message", "invalid_attachments")
                    sub.blocks(attachment["blocks"], f"/attachments/{i}/blocks", MESSAGE_MAX_BLOCKS)
                    checker.problems.extend(sub.problems)
    return checker.problems


def check_view(view: Any) -> list[Problem]:
    """Problems Slack would report for the ``view`` of ``views.open/push/update/publish``.

    Every problem carries ``invalid_arguments``, which is what the views methods answer, with the
    details in ``response_metadata.messages`` under ``/view`` pointers.
    """
    checker = _Checker("modal", "invalid_arguments")
    if not isinstance(view, Mapping):
        checker.add("/view", "must provide an object")
        return checker.problems
    kind = view.get("type")
    if kind not in ("modal", "home"):
        checker.add("/view", "failed to match all allowed schemas")
        checker.add("/view/type", f"unsupported type: {kind}")
        return checker.problems
    checker.surface = kind
    if "blocks" not in view:
        checker.add("/view", "missing required field: blocks")
        blocks: list[Any] = []
    else:
        blocks = checker.blocks(view["blocks"], "/view/blocks", VIEW_MAX_BLOCKS)
    if kind == "modal":
        checker.text(view.get("title"), "/view/title", VIEW_TITLE_MAX, plain_only=True)
        checker.text(view.get("close"), "/view/close", VIEW_BUTTON_MAX, plain_only=True, required=False)
        checker.text(view.get("submit"), "/view/submit", VIEW_BUTTON_MAX, plain_only=True, required=False)
        if "submit" not in view and has_input_blocks(blocks):
            checker.add("/view", "missing required field: submit")
    else:
        # Home tabs have no title bar of their own; an explicit one is still bounded like a modal's.
        checker.text(view.get("title"), "/view/title", VIEW_TITLE_MAX, plain_only=True, required=False)
    if "private_metadata" in view:
        checker.string(view["private_metadata"], "/view/private_metadata", PRIVATE_METADATA_MAX)
    if "callback_id" in view:
        checker.string(view["callback_id"], "/view/callback_id", CALLBACK_ID_MAX)
    if "external_id" in view:
        checker.string(view["external_id"], "/view/external_id", EXTERNAL_ID_MAX)
    for flag in ("clear_on_close", "notify_on_close"):
        if flag in view and not isinstance(view[flag], bool):
            checker.add(f"/view/{flag}", "must provide a boolean")
    if checker.problems and checker.problems[0].pointer != "/view":
        # Slack leads every refused view with this summary line before the specific ones.
        checker.problems.insert(0, Problem("invalid_arguments", "failed to match all allowed schemas", "/view"))
    return checker.problems
