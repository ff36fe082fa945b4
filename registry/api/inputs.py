"""One check of every request's input before any view runs (issue #14).

Values no field can hold are refused here, once for the whole API, instead of failing deep inside:
a NUL character (PostgreSQL text cannot store it) or a lone surrogate (not encodable as UTF-8) in a
JSON body, a form, the query string or a path segment; JSON nested deeper than `MAX_JSON_DEPTH`
(the standard parser recurses and fails); integers longer than `MAX_INT_DIGITS` (Python refuses to
convert them). The check decodes the body itself and leaves the view's own parsing as it was.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from flask import request

from registry.errors import RegistryError, ValidationFailed
from registry.messages import msg

MAX_JSON_DEPTH = 64
MAX_INT_DIGITS = 100  # far beyond any amount in VND; Python's own limit is 4,300
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


class InvalidCharacters(ValidationFailed):
    type_slug = "invalid-characters"
    title = msg("Invalid characters")


class JsonTooDeep(RegistryError):
    """Answered 400: the body is not one the API reads at all."""

    type_slug = "json-too-deep"
    title = msg("JSON nested too deeply")


class _HugeInt:
    """Stands for an integer literal too long to convert, so the walk can name its field."""

    def __init__(self, digits: int) -> None:
        self.digits = digits


def _parse_int(text: str) -> int | _HugeInt:
    digits = len(text.lstrip("-"))
    return _HugeInt(digits) if digits > MAX_INT_DIGITS else int(text)


def json_depth(text: str, stop: int = MAX_JSON_DEPTH) -> int:
    """How deep arrays and objects nest in `text`, without recursing (brackets in strings do not count);
    counting stops once past `stop`."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(_STRINGS.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > stop:
                break
        else:
            depth -= 1
    return deepest


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every (path, key or value) of a decoded JSON document, iteratively."""
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                inner_path = f"{where}.{key}" if where else str(key)
                yield inner_path, key
                stack.append((inner_path, inner))
        elif isinstance(item, list):
            stack.extend((f"{where}.{n}" if where else str(n), inner) for n, inner in enumerate(item))
        else:
            yield where, item


def _printable(path: str) -> str:
    return _BAD_CHARS.sub("?", path)[:200]


def _problems(pairs: Iterator[tuple[str, Any]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path, value in pairs:
        if isinstance(value, str) and _BAD_CHARS.search(value):
            found.setdefault(_printable(path) or "body", []).append(
                "contains a NUL character or a lone surrogate, which no field accepts"
            )
        elif isinstance(value, _HugeInt):
            found.setdefault(_printable(path) or "body", []).append(
                f"an integer of {value.digits} digits; at most {MAX_INT_DIGITS} are accepted"
            )
        if len(found) >= 20:
            break
    return found


def _json_body() -> Any:
    """The decoded JSON body, or None when there is none or it is not JSON (the view answers that)."""
    raw = request.get_data(cache=True)
    if not raw:
        return None
    try:
        text = raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return None
    if json_depth(text) > MAX_JSON_DEPTH:
        raise JsonTooDeep(
            msg("The JSON body nests arrays and objects more than {depth} levels deep.", depth=MAX_JSON_DEPTH)
        )
    try:
        return json.loads(text, parse_int=_parse_int)
    except (ValueError, RecursionError):
        return None


def check_input() -> None:
    """Before every request: refuse what no view can store or parse (422, or 400 for too deep JSON)."""
    pairs: list[tuple[str, Any]] = []
    for name, values in request.args.lists():
        pairs.append((name, name))
        pairs.extend((name, value) for value in values)
    pairs.extend((name, value) for name, value in (request.view_args or {}).items())
    mimetype = request.mimetype
    if mimetype == "application/json" or mimetype.endswith("+json"):
        body = _json_body()
        if body is not None:
            pairs.extend(_walk(body, ""))
    elif mimetype == "application/x-www-form-urlencoded":
        for name, values in request.form.lists():
            pairs.append((name, name))
            pairs.extend((name, value) for value in values)
    found = _problems(iter(pairs))
    if not found:
        return
    if any("NUL" in message for messages in found.values() for message in messages):
        raise InvalidCharacters(
            "A field or parameter contains a NUL character or a lone surrogate; see `errors`.", errors=found
        )
    raise ValidationFailed("A number is far too long for any field; see `errors`.", errors=found)
