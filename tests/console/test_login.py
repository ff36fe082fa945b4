"""Login through the development identity provider (authorization code + PKCE), and the session."""

from __future__ import annotations

from tests.console.helpers import login


def test_login_opens_a_session_of_the_officer_and_agency(console) -> None:  # type: ignore[no-untyped-def]
    done = login(console, "most.binh")
    assert done.headers["Location"].endswith("/console/")
    home = console.get("/console/")
    assert home.status_code == 200
    assert "Trần Thị Bình" in home.text
    assert "MOST" in home.text
