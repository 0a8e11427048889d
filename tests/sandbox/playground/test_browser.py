"""The playground in a real browser: headless Chromium walks a practice's first invoice, from connecting Stripe to
seeing it paid, through the page, the app's real code and the Stripe emulator's hosted pages.

Screenshots of each step land in the test's tmp_path (``screenshots/``), so a failure shows where it stopped.
Chromium is Debian's (``/usr/bin/chromium``, installed by `.ci/run`); Playwright drives it through its
``executable_path`` and never downloads a browser. Without Chromium the test skips, except under CI, where a
missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.i18n import t
from bot.sandbox.playground import Options, Playground
from bot.sandbox.playground.demo import FRENCH_ADMIN, GENERAL, MEMBER
from flows.invoices import ids as action_ids
from flows.invoices import ids as modal_ids
from flows.stripe_setup import views as setup_views

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
STEP_TIMEOUT_MS = 10_000


def _chromium() -> str:
    path = os.environ.get("BILLBOT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if IN_CI:
            pytest.fail("Chromium is missing: .ci/run installs Debian's chromium package for this test")
        pytest.skip("Chromium is not installed (apt-get install chromium); CI installs it and runs this test")
    return path


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[Any]:
    chromium = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if IN_CI:
            pytest.fail("playwright is missing: it is in the test extra (pip install -e '.[test]')")
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(STEP_TIMEOUT_MS)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page
        browser.close()
        assert not errors, f"the page raised: {errors}"


@pytest.fixture
def playground(tmp_path: Path) -> Iterator[Playground]:
    running = Playground(Options(port=0, database=tmp_path / "playground.db")).start()
    yield running
    running.stop()


class Journey:
    """The member's hands and eyes on the page, with a screenshot after each step."""

    def __init__(self, page: Any, playground: Playground, shots: Path) -> None:
        self.page = page
        self.playground = playground
        self.shots = shots
        self.count = 0

    def shot(self, name: str) -> None:
        self.count += 1
        self.page.wait_for_timeout(300)  # the next poll draws what the app just sent
        self.page.screenshot(path=str(self.shots / f"{self.count:02d}-{name}.png"))

    def command(self, text: str) -> None:
        self.page.fill("#composer-input", text)
        self.page.press("#composer-input", "Enter")

    def modal(self, callback_id: str) -> str:
        selector = f".modal[data-callback-id='{callback_id}']"
        self.page.wait_for_selector(selector)
        return selector + " "

    def close_modals(self) -> None:
        self.page.click(".modal-x")
        self.page.wait_for_selector("#modal-overlay .modal", state="detached")

    def see(self, text: str, where: str = "body") -> None:
        self.page.locator(where, has_text=text).first.wait_for()


def test_a_practice_walks_from_stripe_setup_to_a_paid_invoice(
    browser_page: Any, playground: Playground, tmp_path: Path
) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    logo = tmp_path / "logo.png"
    Image.new("RGB", (240, 120), (20, 60, 140)).save(logo)
    me = Journey(browser_page, playground, shots)
    page = browser_page
    page.goto(playground.url)
    # The app's Home tab: opening it sends app_home_opened, and the app publishes the setup checklist.
    page.click(".chan[data-name='Billbot']")
    page.wait_for_selector("#messages.home [data-block-type]")
    me.shot("app-home")
    page.click(f"[data-channel='{GENERAL}']")
    me.shot("channel")

    # 1. Connect Stripe: the modal's button makes an account link; Stripe's onboarding page completes it.
    me.command("/billing setup")
    modal = me.modal("stripe_setup")
    page.click(modal + f"[data-action-id='{setup_views.START_ACTION}']")
    link = page.wait_for_selector(modal + f"[data-action-id='{setup_views.LINK_ACTION}']")
    me.shot("setup-modal")
    with page.context.expect_page() as opened:
        link.click()
    stripe_page = opened.value
    stripe_page.wait_for_load_state()
    stripe_page.screenshot(path=str(shots / f"{me.count:02d}b-stripe-onboarding.png"))
    stripe_page.click("button[value='complete']")
    stripe_page.wait_for_load_state()
    assert stripe_page.url.startswith(playground.url + "stripe/return"), stripe_page.url
    stripe_page.screenshot(path=str(shots / f"{me.count:02d}c-stripe-return.png"))
    stripe_page.close()
    # account.updated reaches the app as a signed webhook; the open modal turns to "connected".
    page.wait_for_selector(modal + f"[data-action-id='{setup_views.LINK_ACTION}']", state="detached")
    me.shot("stripe-connected")
    me.close_modals()

    # 2. Billing settings, with a tax rate in a pushed modal whose first try shows an inline error.
    me.command("/billing settings")
    modal = me.modal("billing_settings")
    page.select_option(modal + "select[data-action-id='currency']", "eur")
    page.fill(modal + "[data-action-id='address_line1']", "12 rue de la Paix")
    page.fill(modal + "[data-action-id='city']", "Paris")
    page.fill(modal + "[data-action-id='postal_code']", "75002")
    page.select_option(modal + "select[data-action-id='country']", "FR")
    page.click(modal + "[data-action-id='billing_settings_add_rate']")
    rate = me.modal("billing_settings_rate")
    page.fill(rate + "[data-action-id='rate_name']", "TVA")
    page.fill(rate + "[data-action-id='rate_percentage']", "twenty")
    page.click(rate + ".modal-submit")
    page.wait_for_selector(rate + "[data-error-for='rate_percentage']")
    me.shot("tax-rate-error")
    page.fill(rate + "[data-action-id='rate_percentage']", "20")
    page.click(rate + ".modal-submit")
    page.wait_for_selector(modal + "[data-block-id='rate_1']")
    assert page.input_value(modal + "select[data-action-id='currency']") == "eur"  # kept across the push
    me.shot("settings-filled")
    page.click(modal + ".modal-submit")
    page.wait_for_selector(modal + ".modal-submit", state="detached")
    me.shot("settings-saved")
    me.close_modals()

    # 3. The invoice template: a design, the practice's name, a logo through the file input, a footer.
    me.command("/billing template")
    modal = me.modal("invoice_template")
    page.locator(modal + "[data-action-id='template_design'] input").nth(1).check()
    page.fill(modal + "[data-action-id='template_practice_name']", "Cabinet Morgan")
    page.set_input_files(modal + "[data-action-id='template_logo'] input[type=file]", str(logo))
    page.wait_for_selector(modal + "[data-action-id='template_logo'] .bk-chip")
    page.fill(modal + "[data-action-id='template_footer']", "Merci de votre confiance.")
    me.shot("template")
    page.click(modal + ".modal-submit")
    me.modal("invoice_template_notice")
    me.shot("template-saved")
    me.close_modals()

    # 4. A client, then a two-line invoice; the client is found through the external select's suggestions.
    me.command("/client new")
    modal = me.modal("client_new")
    page.fill(modal + "[data-action-id='client_name']", "Élodie Martin")
    page.fill(modal + "[data-action-id='client_email']", "elodie@example.com")
    page.click(modal + ".modal-submit")
    page.wait_for_selector(modal, state="detached")
    me.shot("client")
    if page.locator("#modal-overlay .modal").count():
        me.close_modals()

    me.command("/invoice")
    modal = me.modal(modal_ids.CALLBACK)
    client = page.locator(modal + f".bk-external[data-action-id='{modal_ids.CLIENT_ACTION}'] input")
    client.fill("Élodie")
    page.click(modal + ".bk-suggestion")
    me.shot("invoice-client")
    fill_line(page, modal, 0, "Consultation", "1", "120")
    page.click(modal + f"[data-action-id='{modal_ids.ADD_LINE_ACTION}']")
    page.locator(modal + f"[data-action-id='{line(modal_ids.LINE_DESCRIPTION)}']").nth(1).wait_for()
    fill_line(page, modal, 1, "Follow-up session", "2", "80")
    page.locator(modal + f"[data-block-id='{modal_ids.TOTALS_BLOCK}']", has_text="€280.00").wait_for()
    me.shot("invoice-two-lines")
    page.click(modal + ".modal-submit")
    page.wait_for_selector(f".modal[data-callback-id='{modal_ids.RESULT_CALLBACK}']")
    me.shot("invoice-created")
    me.close_modals()

    # 5. Send the link (a confirm dialog first); the link shown only to the sender opens Stripe's invoice page.
    invoice = page.locator(".message", has=page.locator(f"[data-action-id='{action_ids.SEND_LINK}']")).first
    invoice.locator(f"[data-action-id='{action_ids.SEND_LINK}']").click()
    # Slack's confirm dialog, or a modal of the app's own, asks first.
    asked = page.wait_for_selector("#confirm-overlay .confirm, #modal-overlay .modal")
    me.shot("send-link-confirm")
    if "confirm" in (asked.get_attribute("class") or ""):
        page.click("#confirm-overlay .confirm-yes")
    else:
        page.click("#modal-overlay .modal-submit")
    # The hosted invoice page's address is shown to the sender alone (an ephemeral message or the modal).
    hosted = page.locator(".message.ephemeral a[href*='/i/'], #modal-overlay .modal a[href*='/i/']").first
    hosted.wait_for()
    me.shot("link-sent")
    with page.context.expect_page() as opened:
        hosted.click()
    stripe_page = opened.value
    stripe_page.wait_for_load_state()
    stripe_page.screenshot(path=str(shots / f"{me.count:02d}b-hosted-invoice.png"))

    # 6. Pay with Stripe's test card: invoice.paid comes back as a signed webhook and the message turns to paid.
    stripe_page.click("button[value='submit']")
    stripe_page.wait_for_load_state()
    assert "paid" in stripe_page.inner_text("body")
    stripe_page.screenshot(path=str(shots / f"{me.count:02d}c-hosted-invoice-paid.png"))
    stripe_page.close()
    if page.locator("#modal-overlay .modal").count():
        me.close_modals()
    paid = t("en", "invoice.status.paid")
    page.locator(".message", has_text="INV-0001").filter(has_text=f"Status: {paid}").first.wait_for()
    assert page.locator(f"[data-action-id='{action_ids.SEND_LINK}']").count() == 0
    me.shot("invoice-paid")


def line(field: str) -> str:
    return modal_ids.line_action(field)


def fill_line(page: Any, modal: str, index: int, description: str, quantity: str, price: str) -> None:
    for field, value in (
        (modal_ids.LINE_DESCRIPTION, description),
        (modal_ids.LINE_QUANTITY, quantity),
        (modal_ids.LINE_PRICE, price),
    ):
        page.locator(modal + f"[data-action-id='{line(field)}']").nth(index).fill(value)


def test_the_renderer_writes_slacks_own_words_in_the_viewers_language(
    browser_page: Any, playground: Playground, tmp_path: Path
) -> None:
    """Slack itself writes "(optional)" beside an optional field's label, in the viewer's Slack language."""
    page = browser_page
    page.goto(playground.url)
    page.select_option("#who", MEMBER)  # Camille, whose Slack is in French
    page.wait_for_function("document.documentElement.lang === 'fr-FR'")
    me = Journey(page, playground, tmp_path)
    page.click(f"[data-channel='{GENERAL}']")
    me.command("/client new")
    modal = me.modal("client_new")
    optional = page.locator(modal + ".bk-optional")
    optional.first.wait_for()
    assert {text.strip() for text in optional.all_inner_texts()} == {"(facultatif)"}
    assert "(optional)" not in page.inner_text(modal.strip())
    me.shot("client-new-in-french")


def test_a_french_billing_admin_walks_the_journey_in_french(
    browser_page: Any, playground: Playground, tmp_path: Path
) -> None:
    """Élise, a billing admin whose Slack is in French, picked in "You are": set-up, settings, a client and an
    invoice, every modal in French and nothing the renderer writes itself left in English."""
    shots = tmp_path / "screenshots"
    shots.mkdir()
    me = Journey(browser_page, playground, shots)
    page = browser_page
    page.goto(playground.url)
    switcher = [o.strip() for o in page.locator("#who option").all_inner_texts()]
    assert "Élise Martin (admin) · fr-FR" in switcher, switcher
    page.select_option("#who", FRENCH_ADMIN)
    page.wait_for_function("document.documentElement.lang === 'fr-FR'")
    page.click(f"[data-channel='{GENERAL}']")
    me.shot("french-admin")

    def french(selector: str, title: str) -> None:
        """The modal on screen is in French: its title, and "(facultatif)" wherever Slack marks a field."""
        assert page.inner_text(selector + ".modal-title").strip().endswith(title)
        body = page.inner_text(selector.strip())
        assert "(optional)" not in body and "Cancel" not in body, body
        markers = {text.strip() for text in page.locator(selector + ".bk-optional").all_inner_texts()}
        assert markers <= {"(facultatif)"}, markers

    # 1. Payments: the set-up modal in French, Stripe's onboarding, the modal turning to connected.
    me.command("/billing setup")
    modal = me.modal("stripe_setup")
    french(modal, t("fr", "stripe_setup.title"))
    page.click(modal + f"[data-action-id='{setup_views.START_ACTION}']")
    link = page.wait_for_selector(modal + f"[data-action-id='{setup_views.LINK_ACTION}']")
    with page.context.expect_page() as opened:
        link.click()
    stripe_page = opened.value
    stripe_page.wait_for_load_state()
    stripe_page.click("button[value='complete']")
    stripe_page.wait_for_load_state()
    stripe_page.close()
    page.wait_for_selector(modal + f"[data-action-id='{setup_views.LINK_ACTION}']", state="detached")
    me.shot("french-setup")
    me.close_modals()

    # 2. Billing settings in French, a rate whose name says its percentage, saved.
    me.command("/billing settings")
    modal = me.modal("billing_settings")
    french(modal, t("fr", "bs.title"))
    page.locator(modal + ".bk-optional").first.wait_for()  # the optional address fields are marked, in French
    page.select_option(modal + "select[data-action-id='currency']", "eur")
    page.fill(modal + "[data-action-id='address_line1']", "12 rue de la Paix")
    page.fill(modal + "[data-action-id='city']", "Paris")
    page.fill(modal + "[data-action-id='postal_code']", "75002")
    page.select_option(modal + "select[data-action-id='country']", "FR")
    page.click(modal + "[data-action-id='billing_settings_add_rate']")
    rate = me.modal("billing_settings_rate")
    page.fill(rate + "[data-action-id='rate_name']", "TVA 20 %")
    page.fill(rate + "[data-action-id='rate_percentage']", "20")
    page.click(rate + ".modal-submit")
    page.wait_for_selector(modal + "[data-block-id='rate_1']")
    assert "20 % 20" not in page.inner_text(modal.strip())
    me.shot("french-settings")
    page.click(modal + ".modal-submit")
    me.see("Paramètres de facturation enregistrés", "#modal-overlay .modal")
    me.close_modals()

    # 3. A client, then an invoice with the rate, created from the channel.
    me.command("/client new")
    modal = me.modal("client_new")
    french(modal, t("fr", "client.new.title"))
    page.fill(modal + "[data-action-id='client_name']", "Marie-Ève Lefèvre")
    page.fill(modal + "[data-action-id='client_email']", "marie-eve@example.com")
    page.click(modal + ".modal-submit")
    page.wait_for_selector(modal, state="detached")
    if page.locator("#modal-overlay .modal").count():
        me.close_modals()

    me.command("/invoice")
    modal = me.modal(modal_ids.CALLBACK)
    french(modal, t("fr", "invoice_modal.title"))
    client = page.locator(modal + f".bk-external[data-action-id='{modal_ids.CLIENT_ACTION}'] input")
    client.fill("Marie")
    page.click(modal + ".bk-suggestion:has-text('Marie-Ève Lefèvre')")
    fill_line(page, modal, 0, "Séance", "1", "80,00")
    tax = page.locator(modal + f"select[data-action-id='{line(modal_ids.LINE_TAX)}']").first
    assert "TVA 20 % (en sus)" in tax.inner_text()
    tax.select_option(label="TVA 20 % (en sus)")
    page.locator(modal + f"[data-block-id='{modal_ids.TOTALS_BLOCK}']", has_text="96,00").wait_for()
    me.shot("french-invoice")
    page.click(modal + ".modal-submit")
    result = f".modal[data-callback-id='{modal_ids.RESULT_CALLBACK}'] "
    page.locator(result.strip(), has_text="INV-0001").wait_for()
    shown = page.inner_text(result.strip())
    assert "Elle est publiée dans" in shown and "(optional)" not in shown, shown
    me.close_modals()
    # The card in the channel follows the workspace's language (English here); Élise's own words were French.
    page.locator(".message", has_text="Invoice INV-0001 · M.-È. L.").first.wait_for()
    me.shot("french-invoice-posted")
