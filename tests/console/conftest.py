"""Console fixtures: the console's OIDC client reaches the app in process (helpers.AppAdapter)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.console.helpers import AppAdapter


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
