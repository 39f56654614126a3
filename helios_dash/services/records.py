"""Every validation record of a view, for the raw export (never cached: it can be millions of rows)."""
from __future__ import annotations

from typing import Iterator

import pandas as pd

from ..runtime import get_store
from ..filters import Filters
from ..queries import select_validation_records


def stream_validation_records(filters: Filters, batch_rows: int = 100_000) -> Iterator[pd.DataFrame]:
    """The view's validations in time order, in batches of ``batch_rows``."""
    return select_validation_records(get_store(), filters, batch_rows)
