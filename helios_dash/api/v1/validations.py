"""GET /api/v1/validations: the view's validation records, newest first, one page at a time."""
from __future__ import annotations

from ...services.validation_pages import page_validations
from ..blueprint import api
from .answer import TTL_VALIDATIONS, answer, pagination
from .plain import records
from .query import read_list_query


@api.get("/validations", endpoint="validations")
def list_validations():
    """Validations of the view (``sort`` does not apply: newest first, ids breaking ties)."""
    filters, page = read_list_query()
    rows, total = page_validations(filters.replace(sort=None), page.offset, page.size)
    return answer(records(rows, tz=filters.tz), TTL_VALIDATIONS, pagination(page, total))
