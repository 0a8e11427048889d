"""Block Kit for the invoice template: the modal, and the notices that replace it while and after saving."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import blocks
from bot.blocks import Block
from bot.documents.model import DEFAULT_TEMPLATE, TEMPLATES
from bot.i18n import t
from bot.models import InvoiceTemplate
from flows.invoice_template import ids as f
from flows.invoice_template.logo import MIN_HEIGHT, MIN_WIDTH
from flows.invoice_template.presets import PRESETS, preset_for
from flows.invoice_template.validation import DEFAULT_TERMS, FOOTER_MAX, NAME_MAX, TERMS_MAX, TERMS_MIN


@dataclass(frozen=True)
class TemplatePage:
    locale: str
    saved: InvoiceTemplate | None
    default_name: str
    status: str | None = None  # the preview's outcome, under the Preview button


def design_name(locale: str, template: str) -> str:
    return t(locale, f"template.design.{template}")


def template_modal(page: TemplatePage) -> dict[str, Any]:
    locale = page.locale
    content: list[Block] = [blocks.context(t(locale, "template.intro"))]
    content += _design_blocks(page) + _logo_blocks(page) + _colour_blocks(page) + _footer_and_terms_blocks(page)
    content.append(
        blocks.section(
            t(locale, "template.preview.hint"),
            accessory=blocks.button(t(locale, "template.preview"), f.PREVIEW_ACTION, value="preview"),
            block_id=f.PREVIEW,
        )
    )
    if page.status:
        status = blocks.context(page.status)
        status["block_id"] = f.PREVIEW_STATUS
        content.append(status)
    return blocks.modal(
        t(locale, "template.title"),
        content,
        callback_id=f.TEMPLATE_CALLBACK,
        close=t(locale, "template.cancel"),
        submit=t(locale, "template.save"),
    )


def _design_blocks(page: TemplatePage) -> list[Block]:
    locale, saved = page.locale, page.saved
    designs = [
        blocks.option(design_name(locale, key), key, description=t(locale, f"template.design.{key}.hint"))
        for key in TEMPLATES
    ]
    current_design = saved.template if saved is not None else DEFAULT_TEMPLATE
    return [
        blocks.input_block(
            t(locale, "template.design"),
            blocks.radio_buttons(
                f.DESIGN, designs, initial_option=next(o for o in designs if o["value"] == current_design)
            ),
            block_id=f.DESIGN,
        ),
        blocks.text_field(
            t(locale, "template.practice_name"),
            f.PRACTICE_NAME,
            max_length=NAME_MAX,
            initial=(saved.practice_name if saved is not None else None) or page.default_name or None,
            optional=True,
            hint=t(locale, "template.practice_name.hint"),
        ),
    ]


def _logo_blocks(page: TemplatePage) -> list[Block]:
    locale, saved = page.locale, page.saved
    result = [
        blocks.input_block(
            t(locale, "template.logo"),
            blocks.file_input(f.LOGO, filetypes=["png", "jpg", "jpeg"], max_files=1),
            block_id=f.LOGO,
            optional=True,
            hint=t(locale, "template.logo.hint", min_w=MIN_WIDTH, min_h=MIN_HEIGHT),
        )
    ]
    if saved is not None and saved.logo:
        result.append(blocks.context(t(locale, "template.logo.current")))
        remove = blocks.option(t(locale, "template.logo.remove"), f.REMOVE)
        result.append(
            blocks.input_block(
                t(locale, "template.logo"),
                blocks.checkboxes(f.LOGO_REMOVE, [remove]),
                block_id=f.LOGO_REMOVE,
                optional=True,
            )
        )
    return result


def _colour_blocks(page: TemplatePage) -> list[Block]:
    locale, saved = page.locale, page.saved
    colours = [blocks.option(t(locale, f"template.preset.{p.key}"), p.key) for p in PRESETS]
    colours.append(blocks.option(t(locale, "template.colour.custom_option"), f.CUSTOM))
    preset = preset_for(saved.primary_color) if saved is not None else PRESETS[0]
    chosen_colour = next((o for o in colours if o["value"] == (preset.key if preset else f.CUSTOM)), None)
    return [
        blocks.input_block(
            t(locale, "template.colour"),
            blocks.static_select(f.COLOUR, options=colours, initial_option=chosen_colour),
            block_id=f.COLOUR,
        ),
        blocks.text_field(
            t(locale, "template.colour.custom"),
            f.CUSTOM_COLOUR,
            max_length=20,
            initial=saved.primary_color if saved is not None and preset is None else None,
            optional=True,
            placeholder=t(locale, "template.colour.custom.placeholder"),
            hint=t(locale, "template.colour.custom.hint"),
        ),
    ]


def _footer_and_terms_blocks(page: TemplatePage) -> list[Block]:
    locale, saved = page.locale, page.saved
    return [
        blocks.text_field(
            t(locale, "template.footer"),
            f.FOOTER,
            max_length=FOOTER_MAX,
            initial=saved.footer if saved is not None else None,
            optional=True,
            hint=t(locale, "template.footer.hint", limit=FOOTER_MAX),
            multiline=True,
        ),
        blocks.input_block(
            t(locale, "template.terms"),
            blocks.number_input(
                f.TERMS,
                initial_value=str(saved.payment_terms_days if saved is not None else DEFAULT_TERMS),
                min_value=str(TERMS_MIN),
                max_value=str(TERMS_MAX),
            ),
            block_id=f.TERMS,
            hint=t(locale, "template.terms.hint"),
        ),
    ]


def notice_modal(locale: str, text: str, *, retry: bool = False, metadata: str = "") -> dict[str, Any]:
    button = blocks.button(t(locale, "template.retry"), f.RETRY_SAVE_ACTION, value="retry", style="primary")
    return blocks.notice_modal(
        t(locale, "template.title"),
        text,
        callback_id=f.NOTICE_CALLBACK,
        close=t(locale, "common.close"),
        retry=button if retry else None,
        private_metadata=metadata,
    )


def saved_text(locale: str, row: InvoiceTemplate, stripe: str) -> str:
    lines = [t(locale, "template.saved", design=design_name(locale, row.template), days=row.payment_terms_days)]
    lines.append(
        t(locale, {"pushed": "template.saved.stripe", "platform": "template.saved.platform"}.get(
            stripe, "template.saved.no_stripe"))
    )  # fmt: skip
    return "\n".join(lines)
