"""The algorithm types, as stored and filtered ("hybrid") and as people read them ("Hybrid")."""
from __future__ import annotations

ALGORITHM_TYPES = ("novel", "baseline", "improved", "hybrid")


def type_label(value):
    """How an algorithm type is shown to people ("Hybrid"); URLs, filters and the data API keep the value ("hybrid")."""
    return value.capitalize() if isinstance(value, str) else value


TYPE_LABELS = {value: type_label(value) for value in ALGORITHM_TYPES}  # for the grid's formatter (JavaScript)
