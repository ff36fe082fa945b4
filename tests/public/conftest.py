"""Fixtures of the public look-ups' tests: the registry's cipher, and the block-request walker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from registry.fieldcrypt import FieldCipher
from tests.blocking.helpers import Walker


@pytest.fixture
def cipher(app) -> FieldCipher:  # type: ignore[no-untyped-def]
    return app.extensions["registry"].cipher


@pytest.fixture
def walker(client, actors, db) -> Iterator[Walker]:  # type: ignore[no-untyped-def]
    yield Walker(client, actors, db)
