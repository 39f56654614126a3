"""Stable ids from display names, shared by the importer and the demo generator."""
from __future__ import annotations

import re
import unicodedata

_NON_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    """``"Warm-Started VQE"`` -> ``"warm-started-vqe"``; the id of a domain or algorithm."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _NON_SLUG.sub("-", ascii_name.lower()).strip("-")


def display_name(name: str) -> str:
    """``"machine_learning"`` -> ``"Machine Learning"``, for names given as ids."""
    if name != name.lower():
        return name.strip()
    return " ".join(word.capitalize() for word in re.split(r"[\s_-]+", name.strip()) if word)
