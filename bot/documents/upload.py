"""An invoice's PDF, rendered and uploaded to Slack (for the invoice message's "Download PDF" button)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.documents.pdf import render_invoice_pdf
from bot.documents.source import document_for_invoice
from bot.i18n import t
from bot.services import Services


def upload_invoice_pdf(
    services: Services,
    web_client: WebClient,
    *,
    team_id: str,
    invoice_id: int,
    channel_id: str,
    thread_ts: str | None,
    locale: str,
) -> str:
    """Render the invoice and post it as a PDF file in ``channel_id`` (in the thread, when given); its file id.

    Uses files.getUploadURLExternal + files.completeUploadExternal through slack_sdk's files_upload_v2 (needs
    files:write). Raises bot.documents.source.InvoiceNotFound, or SlackApiError when Slack refuses.
    """
    data = document_for_invoice(team_id, invoice_id, db=services.db)
    pdf = render_invoice_pdf(data, locale)
    kwargs: dict[str, Any] = {"thread_ts": thread_ts} if thread_ts else {}
    response = web_client.files_upload_v2(
        file=pdf,
        filename=f"{data.number}.pdf",
        title=t(locale, "document.file_title", number=data.number),
        channel=channel_id,
        initial_comment=t(locale, "document.upload_comment", number=data.number),
        **kwargs,
    )
    files = response.get("files") or [response.get("file") or {}]
    return str(files[0].get("id", ""))
