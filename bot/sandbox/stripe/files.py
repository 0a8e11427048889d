"""File uploads (Stripe serves them on files.stripe.com; here on the same base URL)."""

from __future__ import annotations

import mimetypes
from typing import Any

from .app import App, Context, Route, renderer
from .objects import fresh, public
from .protocol import Response, UploadedFile, invalid, new_id, paginate
from .store import Record

MAX_SIZE = 32 * 1024 * 1024  # Stripe's documented upload limit
IMAGE_PURPOSES = {"business_icon", "business_logo"}
IMAGE_TYPES = {"png", "jpg", "gif"}
# Stripe's file upload guide: business icons and logos are at most 512 KB.
PURPOSE_MAX_SIZE = {"business_icon": 512 * 1024, "business_logo": 512 * 1024}


@renderer("file")
def render_file(app: App, record: Record) -> dict[str, Any]:
    obj = fresh("file")
    obj.update(public(record.state))
    obj.update(
        url=f"{app.base_url}/v1/files/{record.id}/contents",
        links={"object": "list", "data": [], "has_more": False, "url": f"/v1/file_links?file={record.id}"},
    )
    return obj


def _file_type(upload: UploadedFile) -> str:
    name = upload.filename.lower()
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    if not ext:
        guessed = mimetypes.guess_extension(upload.content_type or "") or ""
        ext = guessed.lstrip(".")
    return {"jpeg": "jpg"}.get(ext, ext)


def create_file(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    upload = params["file"]
    if not isinstance(upload, UploadedFile):
        raise invalid("The `file` parameter must be a file sent as multipart/form-data.", param="file")
    if len(upload.data) > MAX_SIZE:
        raise invalid("File size exceeds the maximum of 32MB.", param="file")
    limit = PURPOSE_MAX_SIZE.get(params["purpose"])
    if limit is not None and len(upload.data) > limit:
        raise invalid(
            f"File size exceeds the maximum of {limit // 1024}KB for purpose {params['purpose']}.", param="file"
        )
    file_type = _file_type(upload)
    if params["purpose"] in IMAGE_PURPOSES and file_type not in IMAGE_TYPES:
        raise invalid(
            f"Invalid file type for purpose {params['purpose']}: {file_type or 'unknown'}. Supported types are "
            "png, jpg and gif.",
            param="file",
        )
    file_id = new_id("file_")
    state = {
        "id": file_id,
        "created": ctx.now(),
        "expires_at": None,
        "filename": upload.filename or file_id,
        "purpose": params["purpose"],
        "size": len(upload.data),
        "title": None,
        "type": file_type or None,
    }
    ctx.store.bucket("file_data")[file_id] = upload.data
    return ctx.app.render(ctx.store.add("file", file_id, ctx.account, state))


def retrieve_file(ctx: Context, params: dict[str, Any], file_id: str) -> dict[str, Any]:
    return ctx.app.render(ctx.store.get("file", file_id, ctx.account))


def file_contents(ctx: Context, params: dict[str, Any], file_id: str) -> Response:
    record = ctx.store.get("file", file_id, ctx.account)
    content_type = mimetypes.types_map.get("." + (record.state["type"] or ""), "application/octet-stream")
    return Response(200, ctx.store.bucket("file_data")[file_id], content_type=content_type)


def list_files(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    purpose = params.get("purpose")
    records = (r for r in ctx.store.newest_first("file", ctx.account) if purpose in (None, r.state["purpose"]))
    return paginate(
        records, params, url="/v1/files", item_id=lambda r: r.id, render=ctx.app.render, label="file upload"
    )


def routes() -> list[Route]:
    return [
        Route("POST", "/v1/files", "FileCreateParams", create_file),
        Route("GET", "/v1/files", "FileListParams", list_files),
        Route("GET", "/v1/files/{id}", "FileRetrieveParams", retrieve_file),
        Route("GET", "/v1/files/{id}/contents", None, file_contents),
    ]
