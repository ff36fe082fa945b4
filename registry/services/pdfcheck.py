"""Whether an uploaded decision document is a plain PDF: parsed (not only its magic bytes), with no
active content a reader's viewer would run or open, and nothing a browser would read as HTML."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pikepdf

from registry.errors import ValidationFailed
from registry.messages import msg

# Actions that run code, open or submit elsewhere, or carry files.
_ACTIVE_ACTIONS = frozenset(
    {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/GoToE", "/RichMediaExecute"}
)
_ACTIVE_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/EmbeddedFiles": "an embedded file",
    "/EF": "an embedded file",
    "/XFA": "an XFA form (scriptable)",
}
_ACTIVE_SUBTYPES = {
    "/FileAttachment": "a file attachment annotation",
    "/RichMedia": "rich media (Flash or video with scripts)",
}
_HTML = re.compile(rb"<\s*(?:html|script|body|head|iframe|svg|!doctype)\b", re.IGNORECASE)
_AFTER_EOF = re.compile(rb"%%EOF\s*\Z")


class UnsafeDocument(ValidationFailed):
    type_slug = "unsafe-document"
    title = msg("Unsafe document")


def _children(obj: pikepdf.Object) -> Iterator[pikepdf.Object]:
    if isinstance(obj, pikepdf.Stream):
        yield from obj.stream_dict.values()
    elif isinstance(obj, pikepdf.Dictionary):
        yield from obj.values()
    elif isinstance(obj, pikepdf.Array):
        yield from obj


def _findings(obj: pikepdf.Object) -> Iterator[str]:
    """What active content one object holds, walking its direct (not indirect) parts iteratively."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, pikepdf.Dictionary | pikepdf.Stream):
            dictionary = item.stream_dict if isinstance(item, pikepdf.Stream) else item
            for key in dictionary:
                if str(key) in _ACTIVE_KEYS:
                    yield _ACTIVE_KEYS[str(key)]
            action = dictionary.get("/S")
            if isinstance(action, pikepdf.Name) and str(action) in _ACTIVE_ACTIONS:
                yield f"a {str(action)[1:]} action"
            subtype = dictionary.get("/Subtype")
            if isinstance(subtype, pikepdf.Name) and str(subtype) in _ACTIVE_SUBTYPES:
                yield _ACTIVE_SUBTYPES[str(subtype)]
            kind = dictionary.get("/Type")
            if isinstance(kind, pikepdf.Name) and str(kind) == "/EmbeddedFile":
                yield "an embedded file"
        stack.extend(
            child for child in _children(item) if isinstance(child, pikepdf.Object) and not child.is_indirect
        )


def check_pdf(content: bytes) -> None:
    """Refuse (422) bytes that are not a PDF pikepdf reads, that a browser could read as HTML, or that
    carry JavaScript, launch or other active actions, embedded files or file attachments."""
    if not content.startswith(b"%PDF-"):
        raise ValidationFailed(
            "The document is not a PDF.", errors={"document": ["does not start with %PDF-"]}
        )
    if _AFTER_EOF.search(content[-1024:]) is None:
        raise UnsafeDocument(
            "The document has data after its end (%%EOF); upload the PDF as issued.",
            errors={"document": ["does not end with %%EOF"]},
        )
    if _HTML.search(content):
        raise UnsafeDocument(
            "The document contains HTML markup; it could be read as a web page.",
            errors={"document": ["contains HTML markup"]},
        )
    try:
        pdf = pikepdf.open(io.BytesIO(content))
    except pikepdf.PasswordError:
        raise ValidationFailed(
            "The document is encrypted; upload it without a password.",
            errors={"document": ["encrypted with a password"]},
        ) from None
    except pikepdf.PdfError:
        raise ValidationFailed(
            "The document is not a readable PDF.", errors={"document": ["not a readable PDF"]}
        ) from None
    with pdf:
        found: set[str] = set()
        for obj in [pdf.trailer, *pdf.objects]:
            found.update(_findings(obj))
            if len(found) >= 5:
                break
    if found:
        raise UnsafeDocument(
            "The document has active content; upload a PDF without scripts, actions or attachments.",
            errors={"document": [f"contains {what}" for what in sorted(found)]},
        )
