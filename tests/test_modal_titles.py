"""Modal titles fit Slack's 24 characters in every language, so none is cut ("Envoyer le lien de paie…").

The titles are found in the code: the first argument of every ``modal(…)`` / ``notice_modal(…)`` call that is
``t(locale, "<key>", …)``. A placeholder is filled with a long value of its kind (an invoice number).
"""

from __future__ import annotations

import ast
import re

from bot.blocks import MODAL_TITLE_MAX
from bot.i18n import LOCALES, catalog
from tests.paths import PROJECT_ROOT

SAMPLE = "INV-0042"  # what a title's placeholder holds: an invoice number


def title_keys() -> dict[str, str]:
    found: dict[str, str] = {}
    for folder in ("bot", "flows"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                title = node.args[0]
                if (
                    name.endswith("modal")
                    and isinstance(title, ast.Call)
                    and getattr(title.func, "id", "") == "t"
                    and len(title.args) >= 2
                    and isinstance(title.args[1], ast.Constant)
                    and isinstance(title.args[1].value, str)
                ):
                    found[title.args[1].value] = f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}"
    return found


def test_the_code_has_modal_titles_to_check() -> None:
    assert len(title_keys()) >= 10


def test_every_modal_title_fits_in_every_language() -> None:
    long = {
        (locale, key, where): text
        for key, where in title_keys().items()
        for locale in LOCALES
        if key in catalog(locale) and len(text := re.sub(r"\{[^}]*\}", SAMPLE, catalog(locale)[key])) > MODAL_TITLE_MAX
    }
    assert not long, long
