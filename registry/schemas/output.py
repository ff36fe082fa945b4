"""What a Read schema needs besides the record: the caller, the cipher, agency codes, whether sensitive
values may be shown in full, and references loaded in bulk for a page.

Each resource's Read schema is the only definition of its output. A schema dumps model instances
directly; what depends on the caller comes from the `Output` of the current dump, which
`api.context.guard` opens for every request (and a CLI command or job opens with `dumping`). Values
that one query per record would make slow (the references a violation makes to records the caller may
see, the agencies a record is shared with) are loaded for the whole page by a schema's
`@pre_dump(pass_collection=True)` hook and kept in `Output.loaded`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from marshmallow import Schema, fields
from marshmallow.experimental.context import Context
from sqlalchemy.orm import Session

from registry.auth.principal import Principal
from registry.auth.scopes import Scope
from registry.fieldcrypt import FieldCipher
from registry.services import agencies


@dataclass
class Output:
    session: Session
    cipher: FieldCipher
    principal: Principal | None = None
    # Full sensitive values: set once the caller asked (?sensitive=true) and may (api.context.reveal).
    revealed: bool = False
    # Per-record facts a schema's pre_dump loaded for a page: {(name, record id): value}.
    loaded: dict[tuple[str, Any], Any] = field(default_factory=dict)
    # Ids of the subjects the answer showed (or referred to), for the request's audit entry
    # (api.context): the Read schemas add them as they dump, so what is recorded is what was sent.
    reached: set[str] = field(default_factory=set)

    def reach(self, subject_ids: Iterable[Any]) -> None:
        self.reached.update(str(subject_id) for subject_id in subject_ids)

    @property
    def caller(self) -> Principal:
        """The authenticated caller (every request's dump has one)."""
        assert self.principal is not None
        return self.principal

    @property
    def shows_holders(self) -> bool:
        """Whether the caller may learn who holds a sensitive identifier (a bank account, a personal ID):
        with registry:read_sensitive only. Without it a sensitive identifier answers as
        /identifiers/match does (known, and where to follow up), never its subjects."""
        return self.principal is not None and self.principal.has(Scope.REGISTRY_READ_SENSITIVE)

    def agency_code(self, agency_id: int | None) -> str | None:
        return agencies.code(self.session, agency_id)


def current() -> Output:
    """The Output of the dump under way (a schema dumped outside `dumping` is a bug: LookupError)."""
    return Context[Output].get()


@contextlib.contextmanager
def dumping(output: Output) -> Iterator[Output]:
    with Context(output):
        yield output


class AgencyCode(fields.String):
    """An agency id (the model's column, named by `attribute`) written as the agency's code."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return current().agency_code(value)


Compute = Callable[[Any, Output], Any]


class OutputSchema(Schema):
    """A Read schema over model instances. `computed` names the fields whose value depends on the caller
    or on the page rather than on the record alone: each gives `fn(record, output)`. The fields
    themselves stay declared with their real types, so the OpenAPI document describes them."""

    computed: ClassVar[dict[str, Compute]] = {}

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        compute = self.computed.get(attr)
        if compute is not None:
            return compute(obj, current())
        return super().get_attribute(obj, attr, default)


def loaded(name: str, default: Any = None) -> Compute:
    """A computed field whose values a `pre_dump(pass_collection=True)` hook put in `Output.loaded`."""
    return lambda record, output: output.loaded.get((name, getattr(record, "id", None)), default)
