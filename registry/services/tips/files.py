"""Files a reporter attaches to a tip: a few PDFs, JPEGs or PNGs, recognised by their bytes.

The type sent by the browser is not believed: the first bytes decide it. A PDF must also pass the
decision documents' check (services/pdfcheck: parses, no active content, no HTML). Downloads are
served with the type found here, as attachments, with `nosniff`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from registry.errors import ValidationFailed
from registry.messages import msg
from registry.models import TipAttachment
from registry.services import pdfcheck

MAX_FILES = 3
PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
_MAGIC = ((b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
EXTENSION = {PDF: "pdf", JPEG: "jpg", PNG: "png"}
_UNSAFE = re.compile(r"[^\w.\- ()]+")


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


def _at(position: int, reason: str) -> dict[str, dict[str, list[str]]]:
    return {"attachments": {str(position): [reason]}}


def kind_of(content: bytes) -> str | None:
    return next((kind for magic, kind in _MAGIC if content.startswith(magic)), None)


def clean_name(name: str, position: int, content_type: str) -> str:
    """The file's own name without folders, controls or odd characters; a plain one if nothing is left."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    cleaned = _UNSAFE.sub("_", "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")).strip(" ._")
    return cleaned[:200] or f"attachment-{position}.{EXTENSION[content_type]}"


def check(uploads: list[Upload], *, max_bytes: int) -> list[TipAttachment]:
    """The attachments to store, or a 422 naming the file (1-based) and what is wrong with it."""
    if len(uploads) > MAX_FILES:
        raise ValidationFailed(
            msg("At most {count} files can be attached to a tip.", count=MAX_FILES),
            errors={"attachments": [f"at most {MAX_FILES} files"]},
        )
    found = []
    for position, upload in enumerate(uploads, start=1):
        if not upload.content:
            raise ValidationFailed(
                msg("Attached file {n} is empty.", n=position), errors=_at(position, "empty")
            )
        if len(upload.content) > max_bytes:
            raise ValidationFailed(
                msg("Attached file {n} is larger than {limit} bytes.", n=position, limit=max_bytes),
                errors=_at(position, f"larger than {max_bytes} bytes"),
            )
        content_type = kind_of(upload.content)
        if content_type is None:
            raise ValidationFailed(
                msg("Attached file {n} is not a PDF, JPEG or PNG image.", n=position),
                errors=_at(position, "not a PDF, JPEG or PNG"),
            )
        if content_type == PDF:
            try:
                pdfcheck.check_pdf(upload.content)
            except ValidationFailed as exc:
                reasons = [str(r) for rs in exc.errors.values() for r in rs]
                raise type(exc)(exc.detail, errors={"attachments": {str(position): reasons}}) from None
        found.append(
            TipAttachment(
                position=position,
                filename=clean_name(upload.filename, position, content_type),
                content_type=content_type,
                size=len(upload.content),
                sha256=hashlib.sha256(upload.content).hexdigest(),
                content=upload.content,
            )
        )
    return found
