"""Ids for the domain and algorithm names a file gives: any script, one id per name, stored ids kept.

Two names are the same name when they are equal ignoring case, width and separators
(space, ``_``, ``-``): ``machine_learning`` is ``Machine Learning``, but ``Cafe Solver`` is
not ``Café Solver``. A new name's id is its ASCII slug when that keeps all its letters
(``Café Solver`` -> ``cafe-solver``, as before), else a Unicode slug (``Алгоритм 2`` ->
``алгоритм-2``, where the ASCII slug was ``2``). When that id is taken by another name, the
new one gets a suffix from the SHA-1 of its name key (``cafe-solver-3f9a2c``), so distinct
names never merge and a name gets the same id whenever it is imported into the same store.
"""
from __future__ import annotations

import re
import unicodedata
from hashlib import sha1

from ..naming import slugify

_SEPARATORS = re.compile(r"[\s_-]+")
SUFFIX_DIGITS = 6


def name_key(name: str) -> str:
    """What two names must share to be one name: ``"Machine_Learning"`` -> ``"machine learning"``."""
    return _SEPARATORS.sub(" ", unicodedata.normalize("NFKC", name).casefold()).strip()


def base_id(name: str) -> str:
    """The id a new name asks for; ``""`` when it has no letter or digit in any script."""
    legacy = slugify(name)
    if legacy and not _drops_letters(name):
        return legacy  # what earlier versions gave, so files keep matching their stores
    return _unicode_slug(name)


def _drops_letters(name: str) -> bool:
    """Whether the ASCII slug loses letters or digits (Cyrillic, CJK, ß), not just accents."""
    return any(ch.isalnum() and not ch.isascii() for ch in unicodedata.normalize("NFKD", name))


def _unicode_slug(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold()
    # Marks stay with their letters: Devanagari or Thai words would fall apart without them.
    kept = "".join(ch if ch.isalnum() or unicodedata.category(ch).startswith("M") else " " for ch in text)
    return "-".join(kept.split())


class Ids:
    """Name -> id for one kind of catalog entry: stored entries first, then the file's new ones."""

    def __init__(self, stored: list[tuple[str, str]]):
        self._by_key: dict[str, str] = {}
        self._stored_ids = {entry_id for entry_id, _ in stored}
        self._holder: dict[str, str] = {}  # id -> the name that holds it
        for entry_id, name in stored:  # in id order: the first of look-alike stored names wins
            self._by_key.setdefault(name_key(name), entry_id)
            self._holder[entry_id] = name
        self.renamed: dict[str, tuple[str, str, str]] = {}  # suffixed id -> (name, id it wanted, that id's name)

    def id_for(self, name: str) -> str:
        """The id of ``name``: known, given as a stored id, or new (suffixed if its id is taken)."""
        key = name_key(name)
        known = self._by_key.get(key) or self._stored_id_written_as(name)
        if known:
            self._by_key[key] = known
            return known
        wanted = base_id(name)
        if not wanted:
            return ""
        given = wanted if wanted not in self._holder else self._suffixed(wanted, key)
        if given != wanted:
            self.renamed[given] = (name, wanted, self._holder[wanted])
        self._by_key[key] = given
        self._holder[given] = name
        return given

    def _stored_id_written_as(self, name: str) -> str | None:
        """A name that is exactly a stored id (``machine-learning``, ``machine_learning``) means that entry."""
        written = name.replace("_", "-")
        return written if written in self._stored_ids else None

    def _suffixed(self, wanted: str, key: str) -> str:
        digest = sha1(key.encode()).hexdigest()
        for digits in range(SUFFIX_DIGITS, len(digest) + 1, 2):  # longer only if the short one is taken
            candidate = f"{wanted}-{digest[:digits]}"
            if candidate not in self._holder:
                return candidate
        raise AssertionError(f"no free id for {key!r}")  # all 40 hex digits taken: cannot happen
