"""Block Kit for the overview: the App Home tab and the /billing hub modal show the same checklist."""

from __future__ import annotations

from typing import Any

from bot import blocks
from bot.blocks import Block
from bot.checklist import OPEN_STEP_ACTION, StepStatus
from bot.i18n import format_money, plural, t
from flows.home.balances import Owed, PartPaid
from flows.home.ids import HUB_CALLBACK


def overview_blocks(locale: str, steps: list[StepStatus], *, may_change: bool = True) -> list[Block]:
    """The checklist. ``may_change``: the reader is a billing admin; every step's modal refuses anyone else, so
    others see where each step stands without its button, and whom to ask."""
    done = sum(step.done for step in steps)
    result: list[Block] = [
        blocks.header(t(locale, "hub.header")),
        blocks.section(t(locale, "hub.intro")),
        blocks.context(plural(locale, "hub.progress", done, total=len(steps))),
        blocks.divider(),
    ]
    for step in steps:
        result.extend(_step_blocks(locale, step, may_change))
    # Not a step (nothing to finish): the help channel is optional, since DMs and @mentions need no set-up.
    result.append(blocks.section(t(locale, "help.checklist.optional"), block_id="optional_help_channel"))
    if not may_change:
        result.append(blocks.context(t(locale, "hub.admins_only")))
    return result


def _step_blocks(locale: str, step: StepStatus, may_change: bool) -> list[Block]:
    title = t(locale, f"step.{step.key}")
    description = t(locale, f"step.{step.key}.help")
    block_id = f"step_{step.key}"
    if not step.available:
        return [
            blocks.section(f":hourglass_flowing_sand: *{title}*\n{description}", block_id=block_id),
            blocks.context(t(locale, "step.coming_soon")),
        ]
    icon = ":white_check_mark:" if step.done else ":white_large_square:"
    if not may_change:
        return [blocks.section(f"{icon} *{title}*\n{description}", block_id=block_id)]
    label = t(locale, "step.edit" if step.done else "step.start")
    accessory = blocks.button(label, OPEN_STEP_ACTION, value=step.key, style=None if step.done else "primary")
    return [blocks.section(f"{icon} *{title}*\n{description}", accessory=accessory, block_id=block_id)]


def home_view(locale: str, steps: list[StepStatus], *, may_change: bool = True) -> dict[str, Any]:
    return blocks.home(overview_blocks(locale, steps, may_change=may_change))


def hub_modal(locale: str, steps: list[StepStatus], *, may_change: bool = True) -> dict[str, Any]:
    return blocks.modal(
        t(locale, "hub.title"),
        overview_blocks(locale, steps, may_change=may_change),
        callback_id=HUB_CALLBACK,
        close=t(locale, "common.close"),
    )


def coming_soon_modal(locale: str, feature_key: str) -> dict[str, Any]:
    feature = t(locale, feature_key)
    return blocks.modal(
        feature,
        [blocks.section(t(locale, "common.coming_soon", feature=feature))],
        callback_id="coming_soon",
        close=t(locale, "common.close"),
    )


def balance_blocks(locale: str, owed: list[Owed], part_paid: list[PartPaid]) -> list[Block]:
    """Billing admins' App Home: the balance due on open invoices, and those paid in part (numbers, no names)."""
    if not owed:
        return []
    lines = [
        plural(locale, "record.home.owed", row.count, amount=format_money(row.balance, row.currency, locale))
        for row in owed
    ]
    lines += [
        t(
            locale,
            "record.home.part",
            number=row.number,
            paid=format_money(row.paid, row.currency, locale),
            due=format_money(row.balance, row.currency, locale),
        )
        for row in part_paid
    ]
    return [blocks.divider(), blocks.header(t(locale, "record.home.title")), blocks.section("\n".join(lines))]
