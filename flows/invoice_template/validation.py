"""What the user chose → a typed template form, or one message per wrong field (by block id, in their language)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass

from bot import view_state
from bot.documents.model import TEMPLATES
from bot.i18n import t
from bot.typed_numbers import Refusal, read_whole_number
from flows.invoice_template import ids as f
from flows.invoice_template.presets import BY_KEY, tint

FOOTER_MAX = 500
NAME_MAX = 100
TERMS_MIN, TERMS_MAX = 1, 365
DEFAULT_TERMS = 30
_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")

Values = view_state.Values
Errors = dict[str, str]


@dataclass(frozen=True)
class LogoFile:
    """A file the user put in the file input: Slack's id and where the bot may download it."""

    id: str
    url: str


@dataclass(frozen=True)
class TemplateForm:
    template: str
    practice_name: str | None
    primary_color: str
    secondary_color: str
    footer: str | None
    payment_terms_days: int
    logo_file: LogoFile | None
    remove_logo: bool

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> TemplateForm | None:
        try:
            data = json.loads(text)
            logo = data.get("logo_file")
            return cls(**{**data, "logo_file": LogoFile(**logo) if logo else None})
        except (ValueError, TypeError, AttributeError):
            return None

    def digest(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]


def parse_colour(text: str) -> str | None:
    """``"#2A9D8F"``, ``"2a9d8f"``, ``"#29f"`` → ``"#2a9d8f"``/``"#2299ff"``; None when it is not a hex colour."""
    match = _HEX.fullmatch(text.strip())
    if match is None:
        return None
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits


def template_form(values: Values, locale: str) -> tuple[TemplateForm | None, Errors]:
    errors: Errors = {}
    design = view_state.selected(values, f.DESIGN)
    if design not in TEMPLATES:
        errors[f.DESIGN] = t(locale, "template.error.design")
    name = _text(values, f.PRACTICE_NAME, NAME_MAX, errors, locale, single_line=True)
    primary = secondary = ""
    custom = view_state.text(values, f.CUSTOM_COLOUR)
    preset = view_state.selected(values, f.COLOUR)
    if custom:
        colour = parse_colour(custom)
        if colour is None:
            errors[f.CUSTOM_COLOUR] = t(locale, "template.error.colour", value=custom[:20])
        else:
            primary, secondary = colour, tint(colour)
    elif preset in BY_KEY:
        primary, secondary = BY_KEY[preset].primary, BY_KEY[preset].secondary
    elif preset == f.CUSTOM:
        errors[f.CUSTOM_COLOUR] = t(locale, "common.error.required")
    else:
        errors[f.COLOUR] = t(locale, "common.error.required")
    footer = _text(values, f.FOOTER, FOOTER_MAX, errors, locale, single_line=False)
    terms = DEFAULT_TERMS
    read = read_whole_number(view_state.text(values, f.TERMS), minimum=TERMS_MIN, maximum=TERMS_MAX)
    if read is Refusal.EMPTY:
        errors[f.TERMS] = t(locale, "common.error.required")
    elif isinstance(read, Refusal):
        errors[f.TERMS] = t(locale, "template.error.terms")
    else:
        terms = read
    files = view_state.element(values, f.LOGO).get("files") or []
    logo_file = None
    if len(files) > 1:
        errors[f.LOGO] = t(locale, "template.error.logo_many")
    elif files:
        found = files[0] if isinstance(files[0], dict) else {}
        url = found.get("url_private_download") or found.get("url_private")
        if not isinstance(found.get("id"), str) or not isinstance(url, str):
            errors[f.LOGO] = t(locale, "template.error.logo_fetch")
        else:
            logo_file = LogoFile(found["id"], url)
    chosen = view_state.element(values, f.LOGO_REMOVE).get("selected_options") or []
    remove = any(isinstance(o, dict) and o.get("value") == f.REMOVE for o in chosen)
    if errors:
        return None, errors
    assert design is not None
    form = TemplateForm(design, name, primary, secondary, footer, terms, logo_file, remove and logo_file is None)
    return form, {}


def _text(values: Values, block_id: str, limit: int, errors: Errors, locale: str, *, single_line: bool) -> str | None:
    text = view_state.text(values, block_id)
    lines = [" ".join(text.split())] if single_line else [line.rstrip() for line in text.splitlines()]
    text = "\n".join(lines).strip()
    if not text:
        return None
    if len(text) > limit:
        errors[block_id] = t(locale, "common.error.too_long", limit=limit, length=len(text))
    return text
