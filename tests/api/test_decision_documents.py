"""A decision's document is a PDF without active content (issue #14): the magic bytes are not enough."""

from __future__ import annotations

import hashlib

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, String

from tests.factories import PDF, create_decision, pdf_bytes

URL = "/api/v1/decisions"
HTML = b"<html><body><script>fetch('/steal?c='+document.cookie)</script></body></html>\n"


def open_action_js(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = Dictionary(S=Name.JavaScript, JS=String("app.alert('x')"))


def names_tree_js(pdf: pikepdf.Pdf) -> None:
    action = pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String("app.alert('x')")))
    pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("init"), action])))


def page_action_js(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj.AA = Dictionary(O=Dictionary(S=Name.JavaScript, JS=String("app.alert('x')")))


def launch(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = Dictionary(S=Name.Launch, F=String("cmd.exe"))


def embedded_file(pdf: pikepdf.Pdf) -> None:
    pdf.attachments["invoice.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00 not a real program")


def file_attachment_annotation(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj.Annots = Array(
        [Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment, Rect=Array([0, 0, 10, 10]))]
    )


UNSAFE = {
    "open-action-javascript": pdf_bytes(open_action_js),
    "names-tree-javascript": pdf_bytes(names_tree_js),
    "page-action-javascript": pdf_bytes(page_action_js),
    "launch-action": pdf_bytes(launch),
    "embedded-file": pdf_bytes(embedded_file),
    "file-attachment-annotation": pdf_bytes(file_attachment_annotation),
    "html-before-pdf": HTML + PDF,
    "html-after-eof": PDF + HTML,
    "html-in-a-comment": PDF.replace(b"\n", b"\n%" + HTML, 1),
    "pdf-magic-then-junk": b"%PDF-1.7\n" + b"not a pdf at all\n" * 10,
}


def upload(client, actors, content: bytes):  # type: ignore[no-untyped-def]
    created = create_decision(client, actors, document_sha256=hashlib.sha256(content).hexdigest())
    owner = actors.headers("MOIT-DMS")
    response = client.put(
        f"{URL}/{created['id']}/document", data=content, content_type="application/pdf", headers=owner
    )
    return created, response


def test_a_clean_pdf_is_accepted(client, actors):
    _, response = upload(client, actors, PDF)
    assert response.status_code == 200, response.json


@pytest.mark.parametrize("name", sorted(UNSAFE))
def test_unsafe_or_fake_pdfs_are_refused(client, actors, name):
    created, response = upload(client, actors, UNSAFE[name])
    assert response.status_code == 422, (name, response.status_code)
    assert response.mimetype == "application/problem+json"
    assert response.json["type"].rsplit("/", 1)[1] in ("unsafe-document", "validation-error")
    assert "document" in response.json["errors"]
    owner = actors.headers("MOIT-DMS")
    assert client.get(f"{URL}/{created['id']}", headers=owner).json["document_uploaded"] is False
    assert client.get(f"{URL}/{created['id']}/document", headers=owner).status_code == 404
