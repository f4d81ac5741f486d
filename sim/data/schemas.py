"""Schemas of the files the project reads back (pydantic): the summary a sweep's job
writes, and the one function that turns a validation error into the one-line InputError."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from sim.data.actors import STATE_CODE
from sim.errors import InputError

StateCode = Annotated[str, StringConstraints(pattern=STATE_CODE.pattern)]


def input_error(err: ValidationError, where, fix: str) -> InputError:
    """The first problem of a validation error as InputError(where, its field, what is wrong
    and `fix`)."""
    first = err.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or "top level"
    value = first.get("input")
    shown = "" if isinstance(value, dict | list) else f" ({value!r:.40})"
    message = first["msg"][:1].lower() + first["msg"][1:]
    return InputError(where, field, f"{message}{shown}; {fix}")


class _Strict(BaseModel):
    # numbers are numbers (not true/false, not text); keys the reader does not use may stay
    model_config = ConfigDict(strict=True, extra="allow")


class EffectEntry(_Strict):
    source: StateCode
    target: StateCode
    when: str
    date: str
    date_to: str | None = None
    mean: float | None = None
    p05: float | None = None
    p95: float | None = None


class RunSummary(_Strict):
    """What sim.collect reads of a job's summary.json."""

    overrides: list[str] | None = None
    timings: dict[str, float] = {}
    facts_met: float | None = None
    effects: list[EffectEntry] | None = None


def read_summary(data, where) -> dict:
    """`data` (a parsed summary.json) if it has the summary's shape; InputError otherwise."""
    try:
        RunSummary.model_validate(data)
    except ValidationError as err:
        raise input_error(err, where, "run the job again") from None
    return data
