"""The report of a view: its sections (``sections``) put together with what it covers and how to reopen it.

``metadata`` (filters, period, time, link) is part of every report. A page's export holds the
sections its screen shows (``vocabulary.EXPORT_KINDS``), so screen, export and API agree
section by section.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from urllib.parse import urljoin

from ..domain.principal import Principal
from ..exports.model import Chart, Report, ViewOptions
from ..filters import Filters
from ..services.catalog import name_algorithms
from ..services.redaction import NOBODY
from ..ui.links import algorithm_href
from ..ui.url import view_search
from .sections import SECTION_BUILDERS, one_algorithm
from .vocabulary import SECTIONS

# The page that shows a section: the report's link reopens the view there.
PAGE_PATHS = {"kpis": "/", "recent": "/", "top": "/", "leaderboard": "/leaderboard", "algorithms": "/leaderboard",
              "statistics": "/domains", "trends": "/trends", "comparison": "/compare", "differences": "/compare"}


def build_report(title: str, filters: Filters, sections: tuple[str, ...], base_url: str,
                 include_charts: bool = True, options: ViewOptions | None = None,
                 principal: Principal = NOBODY) -> Report:
    """The report of ``filters`` and the page's ``options`` with the chosen sections, in the order of SECTIONS,
    as ``principal`` may see it (sensitive fields for editors and admins only)."""
    options = options or ViewOptions()
    chosen = [name for name in SECTIONS if name in sections and name in SECTION_BUILDERS]
    parts = [SECTION_BUILDERS[name](filters, options, principal) for name in chosen]
    if "algorithm" in chosen:  # its own page, the id in the path
        link = urljoin(base_url, algorithm_href(one_algorithm(filters), filters))
    else:
        page = PAGE_PATHS.get(next((s for s in sections if s in PAGE_PATHS), ""), "/")
        link = urljoin(base_url, page) + view_search(filters, view_extras(options))
    generated = datetime.now(filters.zone)
    return Report(
        title=title, filters=filters, generated_at=generated, link=link,
        tables=tuple(t for p in parts for t in p.get("tables", ())),
        charts=tuple(replace(c, section=name) for name, p in zip(chosen, parts)
                     for c in p.get("charts", ())) if include_charts else (),
        kpis=tuple(k for p in parts for k in p.get("kpis", ())),
        notes=tuple(n for p in parts for n in p.get("notes", ())),
        metadata=describe_view(filters, generated, link, options, name_algorithms(filters.algorithms)),
    )


def view_extras(options: ViewOptions) -> dict[str, object]:
    """The page parameters beyond the filters, as the page's URL names them (``split``, ``rolling``, ``q``)."""
    return {"split": options.split, "rolling": options.rolling, "q": options.search}


def describe_view(filters: Filters, generated: datetime, link: str, options: ViewOptions | None = None,
                  algorithm_names: list[str] | None = None) -> dict[str, str]:
    """The report's metadata: what it covers, when it was made, how to reopen it; algorithms by name if known."""
    period = (f"{filters.start or 'the first validation'} to {filters.end or 'the last validation'}"
              if filters.start or filters.end else "all validations")
    options = options or ViewOptions()
    described = {
        "Domains": ", ".join(filters.domains) or "all",
        "Algorithm types": ", ".join(filters.types) or "all",
        "Algorithms": ", ".join(algorithm_names or filters.algorithms) or "all",
        "Period": f"{period} ({filters.tz})",
    }
    if options.split:
        described["Split by"] = "algorithm type" if options.split == "type" else options.split
    if options.rolling:
        described["Rolling mean"] = f"{options.rolling} {filters.granularity}s"
    if options.search:
        described["Search"] = options.search
    return described | {"Generated": generated.isoformat(timespec="seconds"), "Link": link}
