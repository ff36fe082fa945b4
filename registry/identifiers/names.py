"""Name normalisation: NFC for storage, a folded key for search."""

import unicodedata


def nfc(s: str) -> str:
    """NFC, internal whitespace collapsed to one space, stripped."""
    return " ".join(unicodedata.normalize("NFC", s).split())


def fold_name(s: str) -> str:
    """Search key: no tone or vowel marks, đ as d, casefolded, single spaces."""
    decomposed = unicodedata.normalize("NFD", s)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # đ/Đ are letters of their own, not d plus a mark, so NFD leaves them alone.
    bare = bare.replace("đ", "d").replace("Đ", "d")
    return " ".join(bare.casefold().split())
