"""Item 13: ids for names in any script, distinct ids for distinct names, stored ids kept.

The rule, written out by hand in these tests: an id is the ASCII slug of the name when that
keeps all its letters ("Café Solver" -> cafe-solver), else the lowercased name with runs of
anything but letters, digits and marks turned into "-" ("Алгоритм 2" -> алгоритм-2). Names
are the same name when equal ignoring case and separators (space, "_", "-"). A new name whose
id is taken gets "-" and the first 6 hex digits of the SHA-1 of its lowercased name.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from helios_dash.errors import BadRequest
from helios_dash.importer import import_file
from test_importer import HEADER, query, write_csv


def suffix(key: str) -> str:
    return hashlib.sha1(key.encode()).hexdigest()[:6]


def test_names_in_cjk_and_cyrillic_are_imported_with_unicode_ids(store, tmp_path):
    path = write_csv(tmp_path, [HEADER,
                                "量子算法,量子,70,0.5,1.5,4,2026-03-02",
                                "Алгоритм,Физика,71,0.5,1.5,4,2026-03-02",
                                "Алгоритм 2,Физика,72,0.5,1.5,4,2026-03-02"])
    result = import_file(store, path)
    assert (result.inserted, result.domains_created, result.algorithms_created) == (3, 2, 3)
    assert query(store, "SELECT algorithm_id, domain_id FROM validations ORDER BY id") == [
        ("量子算法", "量子"), ("алгоритм", "физика"), ("алгоритм-2", "физика")]
    assert sorted(query(store, "SELECT id, name FROM algorithms")) == sorted([
        ("量子算法", "量子算法"), ("алгоритм", "Алгоритм"), ("алгоритм-2", "Алгоритм 2")])
    assert sorted(query(store, "SELECT id, name FROM domains")) == sorted([("量子", "量子"), ("физика", "Физика")])


def test_names_that_slug_alike_become_distinct_algorithms_and_the_summary_says_so(store, tmp_path):
    path = write_csv(tmp_path, [HEADER,
                                "Café Solver,optimization,70,0.5,1.5,4,2026-03-02",
                                "Cafe Solver,optimization,71,0.5,1.5,4,2026-03-02",
                                "CAFÉ  SOLVER,optimization,72,0.5,1.5,4,2026-03-02"])  # the first name again
    result = import_file(store, path)
    other = "cafe-solver-" + suffix("cafe solver")
    assert result.algorithms_created == 2
    assert query(store, "SELECT algorithm_id FROM validations ORDER BY id") == [
        ("cafe-solver",), (other,), ("cafe-solver",)]
    assert sorted(query(store, "SELECT id, name FROM algorithms")) == [
        ("cafe-solver", "Café Solver"), (other, "Cafe Solver")]
    assert any("'Cafe Solver'" in note and other in note and "'Café Solver'" in note for note in result.notes)
    # Importing the file again finds both algorithms by name: nothing new.
    again = import_file(store, path)
    assert (again.inserted, again.algorithms_created) == (0, 0)


def test_domains_that_slug_alike_become_distinct_domains(store, tmp_path):
    path = write_csv(tmp_path, [HEADER,
                                "Solver A,Café,70,0.5,1.5,4,2026-03-02",
                                "Solver B,Cafe,71,0.5,1.5,4,2026-03-02"])
    import_file(store, path)
    assert sorted(query(store, "SELECT id, name FROM domains")) == [("cafe", "Café"), ("cafe-" + suffix("cafe"), "Cafe")]
    assert query(store, "SELECT algorithm_id, domain_id FROM validations ORDER BY id") == [
        ("solver-a", "cafe"), ("solver-b", "cafe-" + suffix("cafe"))]


def test_a_later_file_keeps_stored_ids_and_separates_a_new_look_alike(store, tmp_path):
    import_file(store, write_csv(tmp_path, [HEADER, "Café Solver,optimization,70,0.5,1.5,4,2026-03-02"], "a.csv"))
    later = write_csv(tmp_path, [HEADER,
                                 "Cafe Solver,optimization,71,0.5,1.5,4,2026-03-02",
                                 "café solver,optimization,72,0.5,1.5,4,2026-03-02"], "b.csv")
    result = import_file(store, later)
    assert result.algorithms_created == 1
    assert query(store, "SELECT algorithm_id, quality FROM validations ORDER BY id") == [
        ("cafe-solver", 70.0), ("cafe-solver-" + suffix("cafe solver"), 71.0), ("cafe-solver", 72.0)]


def insert_catalog(store, domain: tuple[str, str], algorithm: tuple[str, str]) -> None:
    """A domain and an algorithm as an older importer or the demo generator stored them."""
    with store.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO domains (id, name) VALUES (:id, :name)"),
                     {"id": domain[0], "name": domain[1]})
        conn.execute(sa.text("INSERT INTO algorithms (id, name, domain_id, type, created_at) "
                             "VALUES (:id, :name, :domain, 'novel', :at)"),
                     {"id": algorithm[0], "name": algorithm[1], "domain": domain[0],
                      "at": datetime(2026, 1, 1, tzinfo=timezone.utc)})


def test_ids_already_stored_stay_stable(store, tmp_path):
    # An older importer stored "Алгоритм 2" as id "2" (its ASCII slug) and the demo
    # stores "Machine Learning" as machine-learning: files naming them keep using those ids.
    insert_catalog(store, ("machine-learning", "Machine Learning"), ("2", "Алгоритм 2"))
    path = write_csv(tmp_path, [HEADER,
                                "Алгоритм 2,machine_learning,70,0.5,1.5,4,2026-03-02",
                                "алгоритм 2,Machine Learning,71,0.5,1.5,4,2026-03-02",
                                "2,machine-learning,72,0.5,1.5,4,2026-03-02"])  # the id itself
    result = import_file(store, path)
    assert (result.inserted, result.domains_created, result.algorithms_created) == (3, 0, 0)
    assert query(store, "SELECT DISTINCT algorithm_id, domain_id FROM validations") == [("2", "machine-learning")]


def test_a_name_with_no_letters_or_digits_in_any_script_is_still_rejected(store, tmp_path):
    path = write_csv(tmp_path, [HEADER, "★☆★,quantum,70,0.5,1.5,4,2026-03-02"])
    with pytest.raises(BadRequest, match="line 2, column algorithm: '★☆★' has no letters or digits"):
        import_file(store, path)
