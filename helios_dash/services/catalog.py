"""Lists behind the pickers: domains and algorithms."""
from __future__ import annotations

import sqlalchemy as sa

from ..extensions import get_store
from ..schema import algorithms, domains
from .cached import per_data_version


@per_data_version
def domain_options() -> list[dict]:
    """``[{"label": "Quantum", "value": "quantum"}, ...]`` sorted by name."""
    frame = get_store().read(sa.select(domains.c.id, domains.c.name).order_by(domains.c.name))
    return [{"label": name, "value": id_} for id_, name in frame.itertuples(index=False)]


@per_data_version
def algorithm_options() -> list[dict]:
    """Every algorithm as a picker option, labelled with its domain."""
    stmt = (sa.select(algorithms.c.id, algorithms.c.name, domains.c.name.label("domain"))
            .join(domains, domains.c.id == algorithms.c.domain_id).order_by(algorithms.c.name))
    frame = get_store().read(stmt)
    return [{"label": f"{name} ({domain})", "value": id_} for id_, name, domain in frame.itertuples(index=False)]


def name_algorithms(ids) -> list[str]:
    """The picker labels ("Name (Domain)") of ``ids``, in their order; an unknown id stays as it is."""
    if not ids:
        return []
    labels = {option["value"]: option["label"] for option in algorithm_options()}
    return [labels.get(id_, id_) for id_ in ids]
