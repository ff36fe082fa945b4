"""Each executor's blocklist, as JSON (BlocklistRead) and as a DNS Response Policy Zone, with an ETag.

Reading a feed expires nothing: a request whose validity has ended is left out until the tick records
its expiry (services/blocking/feed.py)."""

from __future__ import annotations

import json

from flask import Response, request

from registry.api.blocking.common import blp
from registry.api.context import audit_detail, audit_resource, caller, db, writes_on_read
from registry.auth.scopes import Scope
from registry.schemas.blocking import BlocklistRead
from registry.services import blocking as service
from registry.services.blocking import feed as feeds


def _feed(executor_code: str) -> feeds.Feed:
    executor = service.load_feed_agency(db(), caller(), executor_code)
    audit_resource("blocklist", executor.code)
    feed = feeds.snapshot(db(), executor)
    audit_detail(serial=feed.serial, entries=len(feed.entries))
    return feed


def _conditional(feed: feeds.Feed, body: str, mimetype: str) -> Response:
    if request.if_none_match.contains_weak(feed.etag.strip('"')):
        response = Response(status=304)
    else:
        response = Response(body, mimetype=mimetype)
    response.headers["ETag"] = feed.etag
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@blp.route("/blocklists/<executor_code>.json", methods=["GET"])
@blp.access("blocklist:read", (Scope.BLOCKING_EXECUTE, Scope.REPORTS_READ))
@blp.doc(
    responses={
        "200": {"description": "The blocklist", "content": {"application/json": {"schema": BlocklistRead}}},
        "304": {"description": "Not modified (If-None-Match matched the ETag)"},
    }
)
@blp.alt_response(404, description="No such executor")
@writes_on_read
def blocklist_json(executor_code: str) -> Response:
    """An executor's blocklist as JSON, with an ETag (send If-None-Match to poll cheaply)

    Every target in effect for the executor, with its decision number and expiry. The serial goes up
    whenever the list changes. Only the executor itself (blocking:execute) or the Standing Office
    may read it.
    """
    feed = _feed(executor_code)
    body = json.dumps(feeds.as_json(feed), ensure_ascii=False)
    return _conditional(feed, body, "application/json")


@blp.route("/blocklists/<executor_code>.rpz", methods=["GET"])
@blp.access("blocklist:read_rpz", (Scope.BLOCKING_EXECUTE, Scope.REPORTS_READ))
@blp.doc(
    responses={
        "200": {"description": "The zone file", "content": {"text/dns": {"schema": {"type": "string"}}}},
        "304": {"description": "Not modified (If-None-Match matched the ETag)"},
    }
)
@blp.alt_response(404, description="No such executor")
@writes_on_read
def blocklist_rpz(executor_code: str) -> Response:
    """An executor's blocklist as a DNS Response Policy Zone (RPZ) file

    SOA serial = the feed serial. Each domain in effect: `name CNAME .` and `*.name CNAME .`; each IP or
    range: an rpz-ip trigger; each line carries the decision number and expiry as a comment. URLs and
    shops are not in the zone (DNS cannot block a path): they are in the JSON feed. Only the executor
    itself (blocking:execute) or the Standing Office may read it.
    """
    feed = _feed(executor_code)
    return _conditional(feed, feeds.as_rpz(feed), "text/dns")
