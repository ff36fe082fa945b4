"""Every form control of the console's pages has a label, and every page names its language."""

from __future__ import annotations

from html.parser import HTMLParser

from tests.console.helpers import choose_case, login
from tests.factories import make_decision, make_violation


class Controls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.labelled: set[str] = set()
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang")
        if tag == "label" and found.get("for"):
            self.labelled.add(str(found["for"]))
        if tag in ("input", "select", "textarea") and found.get("type") not in ("hidden", "submit"):
            self.controls.append(found)


def unlabelled(html: str) -> list[dict[str, str | None]]:
    parsed = Controls()
    parsed.feed(html)
    assert parsed.lang in ("vi", "en")
    return [c for c in parsed.controls if not c.get("id") or c["id"] not in parsed.labelled]


def test_every_control_has_a_label(console, db) -> None:  # type: ignore[no-untyped-def]
    make_decision(db), make_violation(db, owner="MOIT-DMS")
    login(console, "dms.an")
    choose_case(console)
    for path in ("/console/", "/console/case", "/console/subjects?q=abc", "/console/block-requests",
                 "/console/block-requests/new", "/console/audit?resource=subject", "/console/audit/log",
                 "/console/overdue/block-requests", "/console/screenings"):  # fmt: skip
        page = console.get(path)
        assert page.status_code == 200, path
        assert unlabelled(page.text) == [], path
    assert unlabelled(console.get("/console/login").text) == []
