"""Lists behind the pickers: domains and algorithms."""
from __future__ import annotations

from ..queries.catalog import select_algorithm_names, select_domains
from ..runtime import get_store
from .cached import per_data_version


@per_data_version
def domain_options() -> list[dict]:
    """``[{"label": "Quantum", "value": "quantum"}, ...]`` sorted by name."""
    frame = select_domains(get_store())
    return [{"label": name, "value": id_} for id_, name in frame.itertuples(index=False)]


@per_data_version
def algorithm_options() -> list[dict]:
    """Every algorithm as a picker option, labelled with its domain."""
    frame = select_algorithm_names(get_store())
    return [{"label": f"{name} ({domain})", "value": id_} for id_, name, domain in frame.itertuples(index=False)]


def name_algorithms(ids) -> list[str]:
    """The picker labels ("Name (Domain)") of ``ids``, in their order; an unknown id stays as it is."""
    if not ids:
        return []
    labels = {option["value"]: option["label"] for option in algorithm_options()}
    return [labels.get(id_, id_) for id_ in ids]
