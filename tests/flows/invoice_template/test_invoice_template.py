"""The invoice template step through the harness: the modal, its checks, Preview by DM, Stripe branding."""

from __future__ import annotations

import io
import json
import os
from typing import Any

import stripe
from PIL import Image
from sqlmodel import select

from bot.models import BillingSettings, InvoiceTemplate, StripeAccount
from bot.sandbox.slack import check_view
from flows.invoice_template import ids, payment_terms_days
from flows.invoice_template.logo import STRIPE_MAX_BYTES
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, TEAM_ID, Billbot
from tests.harness.views import filled_stack, filled_view

# -- helpers ----------------------------------------------------------------------------------------------


def png(width: int, height: int, *, noisy: bool = False) -> bytes:
    if noisy:
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (42, 157, 143))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def upload(bb: Billbot, filename: str, data: bytes, user: str = ADMIN) -> dict[str, Any]:
    """The user drops a file in the modal's file input: Slack stores it and puts it in the view state."""
    return bb.slack.user_upload(TEAM_ID, user, filename, data)


def values(
    *,
    design: str | None = "modern",
    name: str | None = "Cabinet Dupont",
    colour: str | None = "teal",
    custom: str | None = None,
    footer: str | None = "SIRET 123 456 789 00010",
    terms: str | None = "15",
    files: list[dict[str, Any]] | None = None,
    remove: bool = False,
) -> dict[str, Any]:
    found: dict[str, Any] = {
        ids.DESIGN: {ids.DESIGN: {"type": "radio_buttons", "selected_option": {"value": design} if design else None}},
        ids.PRACTICE_NAME: {ids.PRACTICE_NAME: {"type": "plain_text_input", "value": name}},
        ids.LOGO: {ids.LOGO: {"type": "file_input", "files": files or []}},
        ids.COLOUR: {ids.COLOUR: {"type": "static_select", "selected_option": {"value": colour} if colour else None}},
        ids.CUSTOM_COLOUR: {ids.CUSTOM_COLOUR: {"type": "plain_text_input", "value": custom}},
        ids.FOOTER: {ids.FOOTER: {"type": "plain_text_input", "value": footer}},
        ids.TERMS: {ids.TERMS: {"type": "number_input", "value": terms}},
    }
    if remove:
        found[ids.LOGO_REMOVE] = {ids.LOGO_REMOVE: {"type": "checkboxes", "selected_options": [{"value": "remove"}]}}
    return found


def french_billing_admin(bb: Billbot) -> None:
    bb.workspace.add_usergroup("S0BILLING", handle="facturation", users=[FRENCH_USER])
    with bb.app.services.db.session() as session:
        session.add(BillingSettings(team_id=TEAM_ID, currency="eur", billing_admin_group="S0BILLING"))


def open_template(bb: Billbot, user: str = ADMIN) -> dict[str, Any]:
    bb.requests.command("/billing", "template", user=user)
    view: dict[str, Any] = filled_view(bb.slack, bb.workspace, user)
    assert view["callback_id"] == ids.TEMPLATE_CALLBACK
    assert check_view(view) == []
    return view


def submit(bb: Billbot, view: dict[str, Any], vals: dict[str, Any], user: str = ADMIN) -> dict[str, Any]:
    response = bb.requests.submit(view, vals, user=user)
    assert response.status_code == 200
    return response.json() if response.content else {}


def wait_notice(bb: Billbot, view_id: str, needle: str) -> str:
    def found() -> str | None:
        text = json.dumps(bb.workspace.view(view_id)["blocks"], ensure_ascii=False)
        return text if needle in text else None

    result: str = bb.slack.wait_for(found, timeout=10)
    return result


def saved(bb: Billbot) -> InvoiceTemplate | None:
    with bb.app.services.db.session() as session:
        return session.get(InvoiceTemplate, TEAM_ID)


def connect_stripe(bb: Billbot) -> str:
    account = bb.app.services.stripe.create_account("express", idempotency_key="test-account", metadata={})
    with bb.app.services.db.session() as session:
        session.add(StripeAccount(team_id=TEAM_ID, account_id=account["id"], connection="express"))
    return str(account["id"])


def stripe_client(bb: Billbot) -> stripe.StripeClient:
    return stripe.StripeClient(bb.stripe.api_key, base_addresses={"api": bb.stripe.url, "files": bb.stripe.url})


def branding(bb: Billbot, account_id: str) -> dict[str, Any]:
    account = stripe_client(bb).v1.accounts.retrieve(account_id).to_dict()
    result: dict[str, Any] = account["settings"]["branding"]
    return result


def stripe_files(bb: Billbot, account_id: str) -> list[dict[str, Any]]:
    listed = stripe_client(bb).v1.files.list({"limit": 100}, {"stripe_account": account_id})  # type: ignore[arg-type]
    return [f.to_dict() for f in listed.data]


def assert_rejected(bb: Billbot, vals: dict[str, Any], block: str, message: str, user: str = ADMIN) -> None:
    view = open_template(bb, user)
    answer = submit(bb, view, vals, user=user)
    assert answer["response_action"] == "errors"
    assert answer["errors"][block] == message
    assert list(answer["errors"]) == [block]
    assert saved(bb) is None


# -- opening ------------------------------------------------------------------------------------------------


def test_template_opens_from_the_command_with_the_defaults(billbot: Billbot) -> None:
    view = open_template(billbot)
    assert view["title"]["text"] == "Invoice template"
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks[ids.DESIGN]["element"]["initial_option"]["value"] == "classic"
    assert [o["value"] for o in blocks[ids.DESIGN]["element"]["options"]] == ["classic", "modern", "minimal"]
    assert blocks[ids.LOGO]["element"]["type"] == "file_input"
    assert blocks[ids.TERMS]["element"]["initial_value"] == "30"
    assert ids.LOGO_REMOVE not in blocks  # nothing to remove yet


def test_template_speaks_french(billbot: Billbot) -> None:
    french_billing_admin(billbot)
    view = open_template(billbot, FRENCH_USER)
    assert view["title"]["text"] == "Modèle de facture"
    assert "Couleur du thème" in json.dumps(view, ensure_ascii=False)


def test_template_is_for_billing_admins_only(billbot: Billbot) -> None:
    billbot.requests.command("/billing", "template", user=MEMBER)
    told = billbot.slack.wait_for(lambda: billbot.workspace.ephemeral("C_GENERAL", MEMBER))
    assert "Only workspace admins" in told[-1].text
    assert billbot.workspace.views(MEMBER) == []


def test_hub_button_opens_the_template_and_the_step_is_done_once_saved(billbot: Billbot) -> None:
    billbot.requests.command("/billing", user=ADMIN)
    hub = filled_view(billbot.slack, billbot.workspace, ADMIN)
    billbot.requests.click("checklist_open", user=ADMIN, value="invoice_template", view=hub)
    pushed = filled_stack(billbot.slack, billbot.workspace, ADMIN, depth=2)
    assert pushed[-1]["callback_id"] == ids.TEMPLATE_CALLBACK
    submit(billbot, pushed[-1], values())
    billbot.slack.wait_for(lambda: saved(billbot))
    with billbot.app.services.db.session() as session:
        done = {s.key: s.done for s in billbot.app.services.checklist.statuses(session, TEAM_ID)}
    assert done["invoice_template"] is True


# -- saving ---------------------------------------------------------------------------------------------------


def test_save_keeps_the_template_and_brands_the_stripe_account(billbot: Billbot) -> None:
    account_id = connect_stripe(billbot)
    logo = upload(billbot, "logo.png", png(600, 200))
    view = open_template(billbot)
    answer = submit(billbot, view, values(files=[logo], custom="#E76F51", terms="45"))
    assert answer["response_action"] == "update"
    text = wait_notice(billbot, view["id"], "Invoice template saved")
    assert "*Modern* design, due 45 days after issue" in text and "Stripe invoice page" in text
    row = saved(billbot)
    assert row is not None
    assert (row.template, row.practice_name, row.primary_color, row.footer) == (
        "modern",
        "Cabinet Dupont",
        "#e76f51",
        "SIRET 123 456 789 00010",
    )
    assert row.logo is not None and row.logo_mime == "image/png" and row.logo.startswith(b"\x89PNG")
    with billbot.app.services.db.session() as session:
        assert payment_terms_days(session, TEAM_ID) == 45
    brand = branding(billbot, account_id)
    assert brand["primary_color"] == "#e76f51" and brand["secondary_color"] == row.secondary_color
    assert brand["logo"] == row.stripe_logo_file_id
    (uploaded,) = stripe_files(billbot, account_id)
    assert uploaded["purpose"] == "business_logo" and uploaded["id"] == row.stripe_logo_file_id


def test_saving_again_with_the_same_logo_uploads_it_once(billbot: Billbot) -> None:
    account_id = connect_stripe(billbot)
    data = png(400, 100)
    for colour in ("teal", "plum"):
        view = open_template(billbot)
        submit(billbot, view, values(files=[upload(billbot, "logo.png", data)], colour=colour))
        wait_notice(billbot, view["id"], "Invoice template saved")
        billbot.workspace.close_views(ADMIN)
    assert len(stripe_files(billbot, account_id)) == 1
    assert branding(billbot, account_id)["primary_color"] == "#6d3b6f"


def test_removing_the_logo_takes_it_off_our_invoices(billbot: Billbot) -> None:
    account_id = connect_stripe(billbot)
    view = open_template(billbot)
    submit(billbot, view, values(files=[upload(billbot, "logo.jpg", png(400, 100))]))
    wait_notice(billbot, view["id"], "Invoice template saved")
    billbot.workspace.close_views(ADMIN)
    view = open_template(billbot)
    assert any(b.get("block_id") == ids.LOGO_REMOVE for b in view["blocks"])
    submit(billbot, view, values(remove=True))
    wait_notice(billbot, view["id"], "Invoice template saved")
    row = saved(billbot)
    assert row is not None and row.logo is None and row.logo_sha256 is None
    # Stripe's API cannot unset a branding logo (it refuses an empty value): the colours still go.
    assert branding(billbot, account_id)["primary_color"] == "#2a9d8f"


def test_payment_terms_default_to_thirty_days(billbot: Billbot) -> None:
    with billbot.app.services.db.session() as session:
        assert payment_terms_days(session, TEAM_ID) == 30


def test_saved_without_payments_set_up_says_stripe_comes_later(billbot: Billbot) -> None:
    view = open_template(billbot)
    submit(billbot, view, values())
    assert "Once payments are set up" in wait_notice(billbot, view["id"], "Invoice template saved")


def test_platform_account_points_to_the_dashboard(billbot: Billbot) -> None:
    with billbot.app.services.db.session() as session:
        session.add(StripeAccount(team_id=TEAM_ID, account_id=None, connection="platform"))
    view = open_template(billbot)
    submit(billbot, view, values())
    assert "Stripe Dashboard" in wait_notice(billbot, view["id"], "Invoice template saved")


def test_large_logo_is_resized_to_what_stripe_accepts(billbot: Billbot) -> None:
    account_id = connect_stripe(billbot)
    big = png(1600, 1600, noisy=True)
    assert len(big) > 5 * STRIPE_MAX_BYTES
    view = open_template(billbot)
    submit(billbot, view, values(files=[upload(billbot, "big.png", big)]))
    wait_notice(billbot, view["id"], "Invoice template saved")
    row = saved(billbot)
    assert row is not None and row.logo is not None and len(row.logo) <= STRIPE_MAX_BYTES
    assert max(Image.open(io.BytesIO(row.logo)).size) < 1600
    (uploaded,) = stripe_files(billbot, account_id)
    assert uploaded["size"] == len(row.logo)


def test_stripe_failure_saves_nothing_and_retry_saves(billbot: Billbot) -> None:
    account_id = connect_stripe(billbot)
    billbot.stripe.fail_next("POST", f"/v1/accounts/{account_id}", count=3)
    view = open_template(billbot)
    submit(billbot, view, values())
    wait_notice(billbot, view["id"], "Nothing was saved")
    assert saved(billbot) is None
    billbot.requests.click(ids.RETRY_SAVE_ACTION, user=ADMIN, value="retry", view=billbot.workspace.view(view["id"]))
    wait_notice(billbot, view["id"], "Invoice template saved")
    assert branding(billbot, account_id)["primary_color"] == "#2a9d8f"


# -- bad input: an inline error each, nothing saved -------------------------------------------------------------


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(billbot: Billbot) -> None:
    fake = upload(billbot, "logo.png", b"%PDF-1.7 this is not a picture at all")
    assert_rejected(
        billbot,
        values(files=[fake]),
        ids.LOGO,
        "This file is not a PNG or JPEG image. Upload your logo as a PNG or JPEG.",
    )


def test_a_truncated_png_is_refused(billbot: Billbot) -> None:
    broken = upload(billbot, "logo.png", png(400, 100)[:60])
    assert_rejected(
        billbot,
        values(files=[broken]),
        ids.LOGO,
        "This file is not a PNG or JPEG image. Upload your logo as a PNG or JPEG.",
    )


def test_a_tiny_image_is_refused(billbot: Billbot) -> None:
    tiny = upload(billbot, "logo.png", png(40, 20))
    assert_rejected(
        billbot,
        values(files=[tiny]),
        ids.LOGO,
        "This image is 40×20 pixels: too small to print sharply. Use one at least 128×32 pixels.",
    )


def test_a_malformed_colour_is_refused(billbot: Billbot) -> None:
    assert_rejected(
        billbot,
        values(custom="#12zz99"),
        ids.CUSTOM_COLOUR,
        '"#12zz99" is not a colour. Type a hex code such as #2a9d8f.',
    )


def test_custom_colour_chosen_but_not_typed_is_refused(billbot: Billbot) -> None:
    assert_rejected(billbot, values(colour="custom"), ids.CUSTOM_COLOUR, "Please fill this in.")


def test_a_footer_over_its_limit_is_refused(billbot: Billbot) -> None:
    assert_rejected(billbot, values(footer="x" * 501), ids.FOOTER, "Please keep this to 500 characters (it has 501).")


def test_payment_terms_out_of_range_are_refused(billbot: Billbot) -> None:
    for terms in ("0", "366", "2.5", "-3"):
        assert_rejected(billbot, values(terms=terms), ids.TERMS, "Type a whole number of days from 1 to 365.")
        billbot.workspace.close_views(ADMIN)


def test_payment_terms_in_other_digits_are_refused_in_both_languages_and_spaces_around_are_not(
    billbot: Billbot,
) -> None:
    french_billing_admin(billbot)
    for user, message in (
        (ADMIN, "Type a whole number of days from 1 to 365."),
        (FRENCH_USER, "Saisissez un nombre entier de jours, de 1 à 365."),
    ):
        # str.isdigit() takes the first three, which int() then refuses; int() reads the next two as 3 and 12.
        for terms in ("²", "①", "1²", "٣", "１２", "-1", "1.5"):
            assert_rejected(billbot, values(terms=terms), ids.TERMS, message, user=user)
            billbot.workspace.close_views(user)
    billbot.slack.wait_for(lambda: billbot.app.services.work.counts() == {"pending": 0, "failed": 0})
    view = open_template(billbot)
    assert submit(billbot, view, values(terms=" 3 "))["response_action"] == "update"
    billbot.slack.wait_for(lambda: saved(billbot))
    with billbot.app.services.db.session() as session:
        assert payment_terms_days(session, TEAM_ID) == 3


def test_errors_are_in_the_users_language(billbot: Billbot) -> None:
    french_billing_admin(billbot)
    assert_rejected(
        billbot,
        values(custom="bleu"),
        ids.CUSTOM_COLOUR,
        "« bleu » n'est pas une couleur. Saisissez un code hexadécimal comme #2a9d8f.",
        user=FRENCH_USER,
    )


def test_logo_the_bot_cannot_read_is_refused(billbot: Billbot) -> None:
    logo = upload(billbot, "logo.png", png(400, 100))
    logo["url_private_download"] = "https://evil.example.com/steal-the-token.png"
    assert_rejected(billbot, values(files=[logo]), ids.LOGO, "This file could not be read from Slack. Upload it again.")


# -- preview ---------------------------------------------------------------------------------------------------


def test_preview_sends_a_sample_invoice_image_by_dm_and_saves_nothing(billbot: Billbot) -> None:
    view = open_template(billbot)
    logo = upload(billbot, "logo.png", png(400, 120))
    current = {**view, "state": {"values": values(files=[logo], design="minimal")}}
    billbot.requests.click(ids.PREVIEW_ACTION, user=ADMIN, value="preview", view=current)
    notice = wait_notice(billbot, view["id"], "Preview sent to you")
    # Said where it went, with the way there (the DM sits behind the modal).
    assert (
        f"<slack://app?team={billbot.workspace.team_id}&id=A_BILLBOT&tab=messages|your messages with Billbot>" in notice
    )
    dm = billbot.workspace.dm(ADMIN)
    assert "*Minimal* invoice template" in dm[0].text
    previews = [f for f in billbot.workspace.files() if f.filename == "invoice-preview.png"]
    assert len(previews) == 1 and previews[0].data is not None
    image = Image.open(io.BytesIO(previews[0].data))
    assert image.format == "PNG" and image.size[1] > image.size[0]  # a portrait page
    assert saved(billbot) is None


def test_preview_with_a_bad_colour_says_what_to_fix_in_the_modal(billbot: Billbot) -> None:
    view = open_template(billbot)
    current = {**view, "state": {"values": values(custom="not-a-colour")}}
    billbot.requests.click(ids.PREVIEW_ACTION, user=ADMIN, value="preview", view=current)
    text = wait_notice(billbot, view["id"], "The preview could not be made")
    assert "is not a colour" in text
    assert [f for f in billbot.workspace.files() if f.filename == "invoice-preview.png"] == []


def test_saving_twice_keeps_one_row(billbot: Billbot) -> None:
    view = open_template(billbot)
    vals = values()
    submit(billbot, view, vals)
    wait_notice(billbot, view["id"], "Invoice template saved")
    submit(billbot, view, vals)  # Slack's retry of the same submission
    billbot.slack.wait_for(lambda: len(billbot.slack.calls("views.update")) >= 2)
    with billbot.app.services.db.session() as session:
        assert len(list(session.exec(select(InvoiceTemplate)).all())) == 1
