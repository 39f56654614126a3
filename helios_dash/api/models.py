"""Pydantic models of the API's bodies: what write endpoints validate requests with, and what they answer.

The request models are the checks (``parse_body``, ``batch_records``; research's in
``v1.research_models``) and the OpenAPI document's request schemas (``api.openapi``), so the two
cannot drift. One exception: ``ExportRequest`` only documents the export configuration, which
``reports.config`` checks field by field (pages and the command line share that parser). Response models describe the envelope's ``data``;
fields the services add later are allowed (``extra="allow"``), so a new column is not a
schema violation, but every field listed is typed as it is sent.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel, StrictFloat, StrictInt, StrictStr
from pydantic import StringConstraints, ValidationError

from ..errors import BadRequest
from ..hypotheses.service import MAX_NOTES, MAX_TEXT
from ..importer import COLUMNS
from ..reports.vocabulary import EXPORT_FORMATS, SECTIONS
from ..schema import HYPOTHESIS_STATUSES
from ..services.ingest import MAX_RECORDS

Number = float | None  # statistics are null where they are undefined (no validations, one validation's interval)
Stamp = Annotated[str, Field(description="ISO-8601; UTC as Z unless the view's tz says otherwise")]


class Closed(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Open(BaseModel):
    """A response body: every listed field as typed, more may follow."""

    model_config = ConfigDict(extra="allow")


# -- requests ---------------------------------------------------------------------------------
def no_nul(text: str) -> str:
    """PostgreSQL stores no NUL character in text: refused here as a bad field, never a database error."""
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    return text


Text = Annotated[str, AfterValidator(no_nul)]
Name = Annotated[StrictStr, AfterValidator(no_nul)]
HypothesisText = Annotated[Text, StringConstraints(pattern=r"\S", max_length=MAX_TEXT)]  # not blank
Evidence = Annotated[dict[str, Any], Field(description="the validator's input; benchmark reads baseline_timings, "
                                                       "candidate_timings, tests_passed, tests_total")]


class HypothesisCreate(Open):
    """POST /hypotheses: the guide's field names."""

    hypothesis: HypothesisText = Field(description="the hypothesis text (encrypted at rest)")
    domain: Annotated[Text, StringConstraints(pattern=r"\S")] = Field(description="an existing domain's id")
    internal_notes: Annotated[Text, StringConstraints(max_length=MAX_NOTES)] | None = Field(
        None, description="kept from viewers")


class ValidateRequest(Open):
    """POST /hypotheses/{id}/validate: which validator, and what it reads."""

    validator: Name | None = Field(None, description="a name from GET /validators; default benchmark with "
                                                            "evidence, demo in demo mode")
    evidence: Evidence | None = None


class HypothesisValidate(HypothesisCreate):
    """POST /hypotheses/validate: create and validate in one call (the guide's client); the text is checked first."""

    validator: Name | None = ValidateRequest.model_fields["validator"]
    evidence: Evidence | None = None


Cell = Annotated[StrictStr, StringConstraints(pattern=r"^[^\r\n]*$")] | StrictInt | StrictFloat | None


class ValidationRecord(Closed):
    """One validation record: the importer's columns (values as text or numbers, as in its CSV)."""

    algorithm: Cell
    domain: Cell
    quality: Cell = Field(description="0 to 100")
    confidence: Cell = Field(description="0 to 1")
    speedup: Cell = Field(description="against the domain's baseline, > 0")
    tests: Cell = Field(description="a whole number >= 0")
    created_at: Cell = Field(description="ISO-8601, or epoch seconds")
    algorithm_type: Cell = None
    validator: Cell = None
    hypothesis: Cell = None
    id: Cell = Field(None, description="the batch is idempotent by id")


class ValidationBatch(RootModel[list[ValidationRecord]]):
    """POST /validations: a JSON array (or NDJSON, a record a line), all or none."""

    root: Annotated[list[ValidationRecord], Field(min_length=1, max_length=MAX_RECORDS)]


class ExportFilters(Open):
    """The view of an export: the pages' public names."""

    domain: str | list[str] | None = None
    type: str | list[str] | None = None
    start: str | None = Field(None, description="YYYY-MM-DD or ISO-8601")
    end: str | None = None
    algorithms: str | list[str] | None = Field(None, description="ids, comma-separated or a list")
    tz: str | None = Field(None, description="an IANA timezone")
    granularity: Literal["day", "week", "month"] | None = None


class ExportOptions(Open):
    sort_by: str | None = None
    sort_order: Literal["asc", "desc"] | None = None
    include_charts: bool | None = None
    search: str | None = None
    split: Literal["domain", "type"] | None = None
    rolling: int | None = Field(None, ge=2, le=60)


class ExportRequest(Open):
    """POST /export/{kind}: the guide's export configuration (checked by ``reports.config``)."""

    format: Literal[tuple(EXPORT_FORMATS)] = "csv"  # type: ignore[valid-type]
    include: list[Literal[tuple(SECTIONS) + ("validations",)]] | None = None  # type: ignore[valid-type]
    filters: ExportFilters | None = None
    options: ExportOptions | None = None


# -- responses --------------------------------------------------------------------------------
class ErrorDetail(Open):
    field: str | None = Field(description="the parameter, body field or header at fault")
    message: str


class ErrorBody(BaseModel):
    code: str = Field(description="VALIDATION_ERROR, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, RATE_LIMITED, ...")
    message: str
    details: list[ErrorDetail]


class Pagination(BaseModel):
    page: int
    per_page: int
    total: int
    pages: int


class Meta(Open):
    timestamp: str
    request_id: str
    version: str


class PagedMeta(Meta):
    pagination: Pagination


class ErrorEnvelope(BaseModel):
    """The guide's error envelope."""

    status: Literal["error"]
    error: ErrorBody
    meta: Meta


class DomainStats(Open):
    algorithms: int
    validations: int
    mean_quality: Number
    min_quality: Number
    mean_speedup: Number
    max_speedup: Number
    success_rate: Number


class Domain(Open):
    id: str
    name: str
    stats: DomainStats | None


class Ranked(Open):
    rank: int
    rank_best: int | None = None
    rank_worst: int | None = None
    algorithm_id: str
    name: str
    type: str | None = None
    mean_quality: Number
    ci_low: Number = None
    ci_high: Number = None
    mean_speedup: Number = None
    tests: int | None = None
    validations: int


class DomainDetail(Domain):
    leaders: list[Ranked]


class AlgorithmSummary(Open):
    algorithm_id: str
    name: str
    domain_id: str
    domain: str | None = None
    type: str | None = None
    validations: int
    mean_quality: Number
    success_rate: Number = None


class LeaderboardRow(Ranked):
    domain_id: str
    tier: int | None = None
    tied: bool | None = None
    previous_rank: int | None = None
    rank_change: int | None = None


class TrendPeriod(Open):
    period_start: Stamp
    validations: int
    mean_quality: Number
    mean_speedup: Number = None


class AlgorithmDetail(Open):
    id: str
    name: str
    domain_id: str
    interval_level: float
    standing: LeaderboardRow | None = Field(description="its row of the domain's leaderboard in the view")
    peers: int | None
    trend: list[TrendPeriod] = Field(description="its last 12 periods of the view's granularity")
    latest_validations: list[dict[str, Any]]
    domain_stats: DomainStats | None


class ValidationRow(Open):
    id: int
    created_at: Stamp
    algorithm_id: str
    domain_id: str
    quality: float
    confidence: float
    speedup: float
    tests: int
    validator: str | None = None
    hypothesis_id: str | None = None


class IngestResult(BaseModel):
    records: int
    inserted: int
    duplicates: int
    domains_created: int
    algorithms_created: int
    notes: list[str]


class ValidatorInfo(Open):
    name: str
    title: str
    source: str
    available: bool
    error: str | None
    simulated: bool
    description: str | None


class ValidationOutcome(Open):
    validator: str
    quality: float
    confidence: float
    speedup: float
    tests: int
    simulated: bool | None = None


class Hypothesis(Open):
    """A hypothesis as the caller may see it (``internal_notes`` for editors and admins only)."""

    id: str
    hypothesis: str
    domain: str
    status: Literal[tuple(HYPOTHESIS_STATUSES)]  # type: ignore[valid-type]
    validator: str | None = None
    failure_reason: str | None = None
    created_at: Stamp
    updated_at: Stamp | None = None
    internal_notes: str | None = None
    validations: list[dict[str, Any]] | None = None
    result: ValidationOutcome | None = None


class AuditEntry(Open):
    id: int
    created_at: Stamp
    actor: str | None
    action: str
    resource_type: str | None
    resource_id: str | None
    changes: dict[str, Any] | None
    prev_hash: str | None
    hash: str


# -- checking a body --------------------------------------------------------------------------
# The guide's own error example for a missing or blank text, kept word for word; the domain's likewise.
REQUIRED = {"hypothesis": "Hypothesis text is required", "domain": "A domain is required"}
EMPTY = "Cannot be empty"


def parse_body(model: type[BaseModel], body) -> BaseModel:
    """``body`` checked by ``model``; BadRequest (VALIDATION_ERROR) naming every bad field otherwise."""
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise body_error(error) from None


def body_error(error: ValidationError) -> BadRequest:
    """Pydantic's errors as the envelope's details, one per field, in the model's field order."""
    details: dict[str, dict] = {}
    for problem in error.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in problem["loc"] if not _union_branch(part)) or "body"
        details.setdefault(field, {"field": field, "message": _message(field, problem)})
    listed = list(details.values())
    first = listed[0] if listed else {}
    if first.get("field") in REQUIRED and first["message"] == EMPTY:  # the guide's example answer
        return BadRequest(REQUIRED[first["field"]], listed)
    described = "; ".join(f"{d['field']}: {d['message']}" for d in listed)
    return BadRequest(f"Invalid request body ({described}).", listed)


def _union_branch(part) -> bool:
    """Pydantic names the branch of a union it tried (``str``, ``constrained-str``): not a field."""
    return isinstance(part, str) and (part in ("str", "int", "float", "dict[str,any]", "list[str]")
                                      or part.startswith(("constrained-", "function-")))


def _message(field: str, problem: dict) -> str:
    """The words the services used before these models: the same answers as before."""
    kind = problem["type"]
    if kind == "missing" or (field in REQUIRED and kind in ("string_pattern_mismatch", "string_type")):
        return EMPTY
    if field == "internal_notes":
        return f"text, at most {MAX_NOTES:,} characters"
    if kind == "string_too_long":
        return f"at most {problem['ctx']['max_length']:,} characters"
    if kind == "extra_forbidden":
        return "unknown field"
    return problem["msg"]


def batch_records(body) -> list:
    """``body`` checked as a ValidationBatch's shape, refused as ``services.ingest`` words it (record from 1)."""
    if not isinstance(body, list) or not body:
        raise BadRequest("Send a non-empty JSON array (or NDJSON) of validation records.",
                         [{"field": "body", "message": "expected a non-empty list of records"}])
    try:
        ValidationBatch.model_validate(body)
    except ValidationError as error:
        problems = record_problems(error)
        if problems:
            named = "; ".join(f"record {p['record']}" + (f", field {p['field']}" if p["field"] else "")
                              + f": {p['message']}" for p in problems[:5])
            raise BadRequest(f"The batch of {len(body)} records has bad ones, so nothing was imported: {named}"
                             + ("; ..." if len(problems) > 5 else ""), problems) from None
    return body


def record_problems(error: ValidationError) -> list[dict]:
    """One problem per record and field, worded as the importer's checks word them."""
    found: dict[tuple, dict] = {}
    for problem in error.errors(include_url=False, include_input=False):
        loc = problem["loc"]
        if not loc or not isinstance(loc[0], int):
            continue  # the batch's size: services.ingest words that one (with its cap)
        number, field = loc[0] + 1, (str(loc[1]) if len(loc) > 1 else None)
        kind = problem["type"]
        if kind == "missing":
            continue  # an empty column: the importer's own check names it ("is empty")
        if field is None:
            message = "not an object"
        elif kind == "extra_forbidden":
            message = "unknown field"
        elif kind == "string_pattern_mismatch":
            message = "line breaks are not allowed"
        else:
            message = "must be text or a number"
        key = (number, field)
        if key not in found or found[key]["message"] == "must be text or a number":
            found[key] = {"record": number, "field": field, "message": message}
    return sorted(found.values(), key=lambda p: (p["record"], p["field"] is not None))
