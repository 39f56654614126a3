"""Redaction of sensitive fields: the one place that decides who sees ``author_email`` and ``internal_notes``.

Services redact what they return, after any cache, so a cached value never carries one
principal's view to another, and every surface (page, API, CSV, XLSX, JSON, PDF) inherits it.
"""
from __future__ import annotations

from typing import TypeVar

import pandas as pd

from ..domain.principal import SENSITIVE_FIELDS, Principal, anonymous

# The default of every service that takes a principal: whoever is not named sees the least.
NOBODY = anonymous()

Described = TypeVar("Described", dict, pd.DataFrame)


def redact(value: Described, principal: Principal = NOBODY) -> Described:
    """``value`` (a record or a frame) without SENSITIVE_FIELDS unless ``principal`` sees them; a new object."""
    if principal.sees_sensitive:
        return value.copy()
    if isinstance(value, pd.DataFrame):
        return value.drop(columns=[name for name in SENSITIVE_FIELDS if name in value.columns])
    return {key: item for key, item in value.items() if key not in SENSITIVE_FIELDS}
