"""What people read of an error: English in the code, in the reader's language where it is shown.

The domain raises errors with an English `detail`: a literal (`NotFound("No such decision.")`) or, when
the text carries values, a `Message` made by `msg("No {what} with id {value}.", what=..., value=...)`.
A `Message` is the English text itself (a `str`: logs, the CLI and tests read it as they always did) and
remembers its template and values, so that the API's problem document and the console's error page can
show it in Vietnamese: the template is looked up in the catalogue (registry/translations, gettext domain
`problems`) and the values put back in. The values are never translated: they are codes, numbers and
names. Nothing here knows of Flask; the HTTP layer chooses the language.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

LOCALES = ("vi", "en")
DOMAIN = "problems"
CATALOGUES = Path(__file__).parent / "translations"


class Message(str):
    """An English text made from a template and values, which a catalogue can translate."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, /, **params: Any) -> Message:
        text = super().__new__(cls, template.format(**params) if params else template)
        text.template, text.params = template, params
        return text


def msg(template: str, /, **params: Any) -> Message:
    """A message for people: `template` in English with `{name}` fields, filled from `params`."""
    return Message(template, **params)


@functools.cache
def _catalogue(locale: str) -> NullTranslations:
    return Translations.load(str(CATALOGUES), [locale], domain=DOMAIN)


def translate(text: str, locale: str | None) -> str:
    """`text` in `locale` when the catalogue has it, else the English text as it is."""
    if not text or locale not in LOCALES or locale == "en":
        return str(text)
    template, params = (text.template, text.params) if isinstance(text, Message) else (str(text), {})
    translated = _catalogue(locale).gettext(template)
    if translated == template:
        return str(text)
    # A value that is itself a Message (a phrase such as "confirms its release") is translated too.
    params = {name: translate(v, locale) if isinstance(v, Message) else v for name, v in params.items()}
    try:
        return translated.format(**params) if params else translated
    except (KeyError, IndexError, ValueError):  # a translation naming a field the template lacks
        return str(text)
