"""The Standing Office's overdue pages: the same lists as the API's, with the same visibility (the
Standing Office sees every agency's, a submitter its own; freeze orders: the State Bank and the Office)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from registry.models import BlockRequest
from registry.models.freezing import FreezeOrder
from tests.console.test_block_workflow import _submit
from tests.factories import make_decision, make_violation
from tests.freezing.helpers import Freeze
from tests.overdue import late_steps_of_both_workflows


def _listed(html: str, table: str) -> list[str]:
    body = html.split(f'id="{table}"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"/(?:block-requests|freeze-orders)/([0-9a-f-]{36})", body)


def test_an_overdue_block_request_is_listed_for_the_office_and_its_submitter(officer, db) -> None:  # type: ignore[no-untyped-def]
    decision, violation = make_decision(db), make_violation(db, owner="MOIT-DMS")
    submitter = officer("dms.an", "45/QĐ-XPVPHC")
    request_id = _submit(submitter, decision, violation).rsplit("/", 1)[1]
    office, other = officer("nsc.lan"), officer("most.binh")
    assert _listed(office.get("/console/overdue/block-requests").text, "overdue-blocks") == []

    row = db.get(BlockRequest, uuid.UUID(request_id))
    row.state_due_at = datetime.now(UTC) - timedelta(hours=1)
    db.flush()
    assert _listed(office.get("/console/overdue/block-requests").text, "overdue-blocks") == [request_id]
    assert _listed(submitter.get("/console/overdue/block-requests").text, "overdue-blocks") == [request_id]
    # MOST decides requests but submitted none of these: the API's overdue list shows it nothing either.
    assert _listed(other.get("/console/overdue/block-requests").text, "overdue-blocks") == []
    shown = office.get("/console/overdue/block-requests").text
    assert "MOIT-DMS" in shown


def test_an_overdue_freeze_order_is_listed_for_the_office_and_the_state_bank(app, officer, db, actors):  # type: ignore[no-untyped-def]
    order_id = Freeze(app.test_client(), actors, db).submit()["id"]
    office, bank = officer("nsc.lan"), officer("sbv.khanh")
    assert _listed(office.get("/console/overdue/freeze-orders").text, "overdue-freezes") == []

    row = db.get(FreezeOrder, uuid.UUID(order_id))
    row.state_due_at = datetime.now(UTC) - timedelta(hours=1)
    db.flush()
    for reader in (office, bank):
        page = reader.get("/console/overdue/freeze-orders")
        assert page.status_code == 200
        assert _listed(page.text, "overdue-freezes") == [order_id]
    assert officer("dms.an").get("/console/overdue/freeze-orders").status_code == 403


def test_the_overdue_pages_are_paginated_like_the_api(officer, db) -> None:  # type: ignore[no-untyped-def]
    office = officer("nsc.lan")
    assert office.get("/console/overdue/block-requests?page=0").status_code == 422
    assert office.get("/console/overdue/block-requests?page=2").status_code == 200


def test_the_standing_office_reads_late_steps_by_agency_and_province(app, officer, db, actors) -> None:  # type: ignore[no-untyped-def]
    """The API's /overdue as a page: counts by whose move and by province, each a link to its steps."""
    late = late_steps_of_both_workflows(app.test_client(), actors, db)
    office = officer("nsc.lan")
    page = office.get("/console/overdue")
    assert page.status_code == 200, page.text
    assert _listed(page.text, "overdue-steps") == [
        late["review"],
        late["executed"],
        late["waiting"],
        late["bidv"],
    ]
    by_agency = page.text.split('id="by-agency"', 1)[1].split("</table>", 1)[0]
    assert "/console/overdue?agency=SBV" in by_agency and "BANK-970418" in by_agency
    assert "thực hiện" in page.text  # the step's words, in Vietnamese
    by_sbv = office.get("/console/overdue?agency=SBV")
    assert _listed(by_sbv.text, "overdue-steps") == [late["waiting"]]
    in_danang = office.get("/console/overdue", query_string={"province": "Đà Nẵng"})
    assert _listed(in_danang.text, "overdue-steps") == [late["bidv"]]
    # The State Bank reads the freeze orders' steps only, as through the API.
    assert _listed(officer("sbv.khanh").get("/console/overdue").text, "overdue-steps") == [
        late["waiting"], late["bidv"],
    ]  # fmt: skip
    assert office.get("/console/overdue?workflow=tips").status_code == 422
