"""Console fixtures: the console's OIDC client reaches the app in process (helpers.AppAdapter)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.console.helpers import AppAdapter, choose_case, login


@pytest.fixture
def console(app: Any, client: Any) -> Iterator[Any]:
    """The test client, with the console's provider calls routed to the app itself."""
    state = app.extensions["registry.console"]
    issuer = app.extensions["registry"].settings.issuer
    state.adapters[issuer] = AppAdapter(app)
    try:
        yield client
    finally:
        state.adapters.pop(issuer, None)


@pytest.fixture
def officer(console: Any, app: Any) -> Callable[..., Any]:
    """officer(sub, case=None): a new client logged in as that demo officer, on that case if given
    (several officers in one test; the console fixture routes the provider's calls for this test only)."""

    def logged_in(sub: str, case: str | None = None) -> Any:
        client = app.test_client()
        login(client, sub)
        if case:
            choose_case(client, case)
        return client

    return logged_in
