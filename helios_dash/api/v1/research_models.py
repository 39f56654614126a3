"""Pydantic models of the research API: the request body is validated by ``ResearchRequest``; ``Research``
and ``ResearchResult`` describe the answers (helpers/research_contract.md; the OpenAPI document uses them)."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, field_validator

from ...errors import BadRequest

MAX_NAME = 200
MAX_HYPOTHESES = 50
MAX_TEXT = 10_000  # as helios_dash.hypotheses.service.MAX_TEXT


class ResearchRequest(BaseModel):
    """POST /api/v1/research: a named batch of hypothesis texts for one domain and one validator."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)  # a misspelt field is an error

    name: StrictStr = Field(min_length=1, max_length=MAX_NAME, description="What the project is called.")
    domain: StrictStr = Field(min_length=1, description="An existing domain key (GET /api/v1/domains).")
    hypotheses: list[StrictStr] = Field(min_length=1, max_length=MAX_HYPOTHESES,
                                  description="Hypothesis texts, validated in this order.")
    validator: StrictStr | None = Field(None, description="A validator key (GET /api/v1/validators); by default "
                                                    "benchmark with evidence, demo in demo mode.")
    evidence: dict | None = Field(None, description="Evidence passed to the validator for every hypothesis.")

    @field_validator("name", "domain", "validator")
    @classmethod
    def storable(cls, value: str | None) -> str | None:
        """Text a database can store: UTF-8 (no lone surrogates), no NUL character."""
        return None if value is None else _storable(value)

    @field_validator("hypotheses")
    @classmethod
    def each_text_fits(cls, texts: list[str]) -> list[str]:
        """Every text storable, non-empty after trimming and at most MAX_TEXT characters."""
        for text in texts:
            _storable(text)
            if not text.strip():
                raise ValueError("a hypothesis text cannot be empty")
            if len(text) > MAX_TEXT:
                raise ValueError(f"a hypothesis text is at most {MAX_TEXT:,} characters")
        return [text.strip() for text in texts]

    @field_validator("evidence")
    @classmethod
    def plain_json(cls, evidence: dict | None) -> dict | None:
        """JSON as the standard has it: finite numbers (Python's parser lets NaN and Infinity through)."""
        if evidence is not None:
            try:
                json.dumps(evidence, allow_nan=False, ensure_ascii=False).encode("utf-8")
            except (ValueError, UnicodeEncodeError):
                raise ValueError("must be plain JSON: finite numbers, valid Unicode") from None
        return evidence


def _storable(text: str) -> str:
    if "\x00" in text:
        raise ValueError("must not contain a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return text


class Answer(BaseModel):
    """A response body: every listed field as typed, more may follow."""

    model_config = ConfigDict(extra="allow")


class Progress(Answer):
    done: int = Field(ge=0)
    total: int = Field(ge=1)
    percent: float = Field(ge=0, le=100)


class ResearchResult(Answer):
    """One validated hypothesis of a project; ``index`` is 1-based and the SSE event id."""

    index: int = Field(ge=1)
    hypothesis_id: str | None
    hypothesis: str
    status: Literal["validated", "failed"]
    validation: dict | None = Field(description="What POST /hypotheses/{id}/validate answers as data.result.")
    error: str | None


class ResearchLinks(Answer):
    self: str
    stream: str


class Research(Answer):
    """A research project: its status, progress and the results so far."""

    id: str
    name: str
    domain: str
    validator: str
    status: Literal["queued", "running", "completed", "failed"]
    progress: Progress
    results: list[ResearchResult]
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    links: ResearchLinks


def parse_research_request(body: dict) -> ResearchRequest:
    """The body as a ``ResearchRequest``; BadRequest (VALIDATION_ERROR) naming each bad field otherwise."""
    try:
        return ResearchRequest.model_validate(body)
    except ValidationError as error:
        details = [{"field": ".".join(str(part) for part in problem["loc"]) or "body", "message": problem["msg"]}
                   for problem in error.errors(include_url=False)]
        raise BadRequest("The research request is not valid.", details) from None
