"""The logo from Slack's file input: fetched from Slack, checked by its bytes, resized to what Stripe takes.

Stripe accepts a ``business_logo`` upload as PNG, JPEG or GIF of at most 512 KB. We take PNG and JPEG only,
recognised by their first bytes (a name ending in .png says nothing about what the file is), refuse what is
too small to print sharply, and shrink what is too large until it fits.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from bot.slack_files import SlackFileError, download

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
MIN_WIDTH = 128
MIN_HEIGHT = 32
MAX_SIDE = 1200  # plenty for a logo printed 60 mm wide, and keeps PDFs small
STRIPE_MAX_BYTES = 512 * 1024  # Stripe's limit for purpose=business_logo
DOWNLOAD_MAX_BYTES = 25 * 1024 * 1024
DOWNLOAD_TIMEOUT = 2.0  # the ack that checks the logo must answer Slack within 3 s


class LogoProblem(Exception):
    """Why a logo cannot be used: an i18n key and its parameters."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Logo:
    data: bytes
    mime: str  # image/png or image/jpeg
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def filename(self) -> str:
        return "logo.png" if self.mime == "image/png" else "logo.jpg"


def sniff(data: bytes) -> str | None:
    if data.startswith(PNG_MAGIC):
        return "image/png"
    if data.startswith(JPEG_MAGIC):
        return "image/jpeg"
    return None


def prepare(data: bytes) -> Logo:
    """The logo as we keep it and send it to Stripe, or LogoProblem."""
    mime = sniff(data)
    if mime is None:
        raise LogoProblem("template.error.logo_type")
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened) or opened
            image.load()
    except Image.DecompressionBombError as exc:
        raise LogoProblem("template.error.logo_unusable", detail="too many pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        # The right first bytes but a broken body: still not an image we can print.
        raise LogoProblem("template.error.logo_type") from exc
    width, height = image.size
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise LogoProblem("template.error.logo_small", width=width, height=height, min_w=MIN_WIDTH, min_h=MIN_HEIGHT)
    if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGB")  # CMYK JPEGs and the like print wrongly in browsers and Stripe's emails
    side = min(MAX_SIDE, max(width, height))
    while True:
        scaled = image.copy()
        scaled.thumbnail((side, side), Image.Resampling.LANCZOS)
        encoded = _encode(scaled, mime)
        if len(encoded) <= STRIPE_MAX_BYTES:
            return Logo(encoded, mime, *scaled.size)
        side = int(side * 0.8)
        if side * min(width, height) / max(width, height) < MIN_HEIGHT or side < MIN_WIDTH:
            raise LogoProblem("template.error.logo_unusable", detail="too detailed to fit in 512 KB")


def _encode(image: Image.Image, mime: str) -> bytes:
    out = io.BytesIO()
    if mime == "image/png":
        image.save(out, format="PNG", optimize=True)
    else:
        image.convert("RGB").save(out, format="JPEG", quality=88, optimize=True, progressive=True)
    return out.getvalue()


def fetch(url: str, token: str | None, slack_api_url: str) -> bytes:
    """A file's bytes from url_private_download (needs the files:read scope)."""
    try:
        return download(url, token, slack_api_url, max_bytes=DOWNLOAD_MAX_BYTES, timeout=DOWNLOAD_TIMEOUT)
    except SlackFileError as exc:
        if exc.reason == "too_large":
            raise LogoProblem("template.error.logo_unusable", detail="over 25 MB") from exc
        raise LogoProblem("template.error.logo_fetch") from exc
