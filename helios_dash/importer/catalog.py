"""The domains and algorithms: those the store holds, and the new ones a file names."""
from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ..naming import display_name
from ..schema import algorithms, domains
from ..store import Store
from .names import Ids
from .report import Problem, show


class Catalog:
    """Ids for the file's names, which domain each algorithm belongs to, and what is new."""

    def __init__(self, store: Store):
        stored = store.read(sa.select(algorithms.c.id, algorithms.c.name, algorithms.c.domain_id)
                            .order_by(algorithms.c.id))
        stored_domains = store.read(sa.select(domains.c.id, domains.c.name).order_by(domains.c.id))
        self.ids = {"algorithm": Ids(list(zip(stored["id"], stored["name"]))),
                    "domain": Ids(list(zip(stored_domains["id"], stored_domains["name"])))}
        self.owner: dict[str, str] = dict(zip(stored["id"], stored["domain_id"]))
        self.stored_algorithms = set(self.owner)
        self.stored_domains = set(stored_domains["id"])
        self.new_domains: dict[str, str] = {}  # id -> name
        self.new_algorithms: dict[str, dict] = {}  # id -> algorithms row

    def id_for(self, field: str, name: str) -> str:
        """The id of a domain or algorithm (``field``) name; ``""`` if it has no letter or digit."""
        return self.ids[field].id_for(name)

    def check(self, parsed: pd.DataFrame) -> Problem:
        """Rows naming an algorithm of another domain; learns the new algorithms and domains."""
        named = ((parsed["algorithm_id"] != "") & (parsed["domain_id"] != "")).to_numpy()
        firsts = parsed.loc[named, ["algorithm_id", "domain_id"]].drop_duplicates("algorithm_id")
        unseen = firsts[~firsts["algorithm_id"].isin(self.owner.keys())]
        self.owner.update(zip(unseen["algorithm_id"], unseen["domain_id"]))
        expected = np.asarray(parsed["algorithm_id"].map(self.owner), dtype=object)
        conflict = named & (expected != np.asarray(parsed["domain_id"], dtype=object))
        self._learn(parsed[named & ~conflict])
        return Problem("domain", conflict, lambda i: (
            f"algorithm {show(parsed['algorithm'].iat[i])} belongs to domain {show(expected[i])}"))

    def _learn(self, rows: pd.DataFrame) -> None:
        firsts = rows.drop_duplicates("domain_id")
        for domain_id, name in zip(firsts["domain_id"], firsts["domain"]):
            if domain_id not in self.stored_domains:
                self.new_domains.setdefault(domain_id, display_name(name))
        fresh = rows[~rows["algorithm_id"].isin(self.stored_algorithms)]
        summary = fresh.groupby("algorithm_id", sort=False, observed=True).agg(
            name=("algorithm", "first"), domain_id=("domain_id", "first"),
            type=("algorithm_type", "first"), created_at=("created_at", "min"))
        for algorithm_id, row in summary.iterrows():  # one row per algorithm, not per record
            self._merge(algorithm_id, row)

    def _merge(self, algorithm_id: str, row: pd.Series) -> None:
        known = self.new_algorithms.setdefault(algorithm_id, {
            "id": algorithm_id, "name": row["name"], "domain_id": row["domain_id"],
            "type": None, "created_at": row["created_at"]})
        if not isinstance(known["type"], str):  # the first type the file gives wins
            known["type"] = row["type"]
        if pd.isna(known["created_at"]) or row["created_at"] < known["created_at"]:
            known["created_at"] = row["created_at"]

    def rows_for(self, used_algorithms: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The new domains and algorithms that inserted records refer to, as table rows."""
        new = [dict(row, type=row["type"] if isinstance(row["type"], str) else "novel")
               for algorithm_id, row in self.new_algorithms.items() if algorithm_id in used_algorithms]
        needed = {row["domain_id"] for row in new} & set(self.new_domains)
        domain_rows = [{"id": d, "name": self.new_domains[d]} for d in sorted(needed)]
        return pd.DataFrame(domain_rows), pd.DataFrame(new)

    def notes(self, created: dict[str, set[str]]) -> list[str]:
        """A sentence for each created domain or algorithm whose id needed a suffix to stay distinct."""
        return [f"{field} {show(name)} has the id {new_id}, as {wanted} is {show(holder)}"
                for field, ids in self.ids.items()
                for new_id, (name, wanted, holder) in ids.renamed.items() if new_id in created[field]]
