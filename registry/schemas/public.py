"""What the public look-ups answer: only published facts (services.public), dumped from plain dicts."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from registry.models import CATEGORIES, GOODS_GROUPS
from registry.schemas.common import PageQuery, page_of
from registry.services.public import WEBSITE_KINDS

RULES = "docs/public-lookup.md"


class PublicCheckQuery(Schema):
    value = fields.String(
        required=True,
        validate=validate.Length(min=1, max=4096),
        metadata={"description": "a domain, a URL, or a marketplace shop as `<platform>:<id>` or its URL"},
    )
    kind = fields.String(
        load_default=None,
        validate=validate.OneOf(WEBSITE_KINDS),
        metadata={"description": "how to read `value`; guessed from its spelling when left out"},
    )


class PublicIdentifier(Schema):
    kind = fields.String()
    value = fields.String(metadata={"description": "canonical form"})
    display = fields.String()


class PublicDecision(Schema):
    number = fields.String(metadata={"description": "number and symbol, e.g. 123/QĐ-CSKT"})
    issued_on = fields.Date(allow_none=True, metadata={"description": "null when only the number is known"})
    issuing_body = fields.String(allow_none=True)


class PublicViolation(Schema):
    categories = fields.List(fields.String(validate=validate.OneOf(CATEGORIES)))
    goods_groups = fields.List(fields.String(validate=validate.OneOf(GOODS_GROUPS)))
    status = fields.String(metadata={"description": "`confirmed` or `sanctioned`: nothing else is published"})
    detected_on = fields.Date()
    decision = fields.Nested(PublicDecision, allow_none=True)


class PublicCheckViolation(PublicViolation):
    matched = fields.Nested(PublicIdentifier, metadata={"description": "the identifier the violation names"})


class PublicBlockEnd(Schema):
    how = fields.String(metadata={"description": "`lifted`, `appeal_upheld`, `revoked` or `expired`"})
    on = fields.Date()
    decision = fields.Nested(PublicDecision, allow_none=True)


class PublicBlock(Schema):
    action = fields.String(metadata={"description": "`block_at_isp`, `suspend_domain` or `remove_listing`"})
    valid_from = fields.Date()
    valid_until = fields.Date()
    decision = fields.Nested(PublicDecision, allow_none=True)


class PublicCheckBlock(PublicBlock):
    matched = fields.Nested(PublicIdentifier, metadata={"description": "the target blocked"})


class PublicCheckResult(Schema):
    query = fields.Nested(PublicIdentifier, metadata={"description": "the value as the registry reads it"})
    flagged = fields.Boolean(metadata={"description": "whether anything below was found"})
    violations = fields.Nested(PublicCheckViolation, many=True)
    blocks = fields.Nested(PublicCheckBlock, many=True, metadata={"description": "blocks in effect now"})


class PublicRangeEntry(Schema):
    suffix = fields.String(metadata={"description": "the SHA-256's hex characters 6-64, lower case"})
    violations = fields.Integer(metadata={"description": "published violations naming the value"})
    categories = fields.List(fields.String())
    decisions = fields.Nested(PublicDecision, many=True)


class PublicRangeAnswer(Schema):
    kind = fields.String()
    prefix = fields.String()
    normalisation = fields.String(metadata={"description": f"where the normalisation rules are ({RULES})"})
    suffixes = fields.Nested(PublicRangeEntry, many=True)


class PublicViolatorBlock(PublicBlock):
    state = fields.String(metadata={"description": "`in_effect`, `lifted`, `revoked` or `expired`"})
    ended = fields.Nested(PublicBlockEnd, allow_none=True, metadata={"description": "null while in effect"})


class PublicViolator(Schema):
    website = fields.Nested(PublicIdentifier)
    categories = fields.List(fields.String(), metadata={"description": "of its published violations"})
    violations = fields.Nested(PublicViolation, many=True)
    blocks = fields.Nested(PublicViolatorBlock, many=True)
    updated = fields.AwareDateTime()


class PublicViolatorQuery(PageQuery):
    pass


PublicViolatorPage = page_of(PublicViolator, "PublicViolatorPage")
