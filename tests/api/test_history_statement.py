"""The one-statement history (services.history_json) is generated from the Read schemas' fields."""

from __future__ import annotations

import pytest
from marshmallow import fields

from registry.schemas.output import Compute
from registry.schemas.subjects import SubjectRead
from registry.services import history_json


@pytest.mark.parametrize("all_but_drafts", [True, False])
@pytest.mark.parametrize("is_state", [True, False])
def test_every_variant_of_the_statement_builds(all_but_drafts, is_state):
    sql = history_json._sql(all_but_drafts, is_state)
    assert "$1" in sql and "$2" in sql and "%(" not in sql
    for key in SubjectRead._declared_fields:  # every field of the schema is written by the statement
        assert f"'{key}'" in sql


def test_a_field_computed_in_python_without_sql_is_refused():
    class Wider(SubjectRead):
        computed: dict[str, Compute] = {**SubjectRead.computed, "risk": lambda subject, output: 1}  # noqa: RUF012
        risk = fields.Integer()

    columns = {name: name for name in ("id", "kind", "name", "tax_code", "business_registration",
                                       "addresses", "province", "owner_agency_id", "visibility", "created_at",
                                       "updated_at")}  # fmt: skip
    with pytest.raises(LookupError, match=r"Wider\.personal_id"):
        history_json._from_schema(Wider, columns)
    with pytest.raises(LookupError, match=r"Wider\.risk"):
        history_json._from_schema(Wider, columns, personal_id=None, has_personal_id=None)
