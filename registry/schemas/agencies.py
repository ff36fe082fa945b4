from __future__ import annotations

from marshmallow import Schema, fields


class AgencyRead(Schema):
    code = fields.String()
    name_vi = fields.String()
    name_en = fields.String()
    kind = fields.String()
    parent = fields.Function(lambda a: a.parent.code if a.parent else None)
    successor = fields.Function(lambda a: a.successor.code if a.successor else None)
    bank_bin = fields.String(allow_none=True)
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)
