"""The columns of a raw validation record, in the order the full-record export writes them."""
from __future__ import annotations

RECORD_COLUMNS = ["id", "created_at", "algorithm_id", "algorithm", "domain_id", "domain", "quality",
                  "confidence", "speedup", "tests", "validator", "hypothesis_id"]
