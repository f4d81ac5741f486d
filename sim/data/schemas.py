"""Schemas (pydantic) of the data files and of the summary a sweep reads back: the shape
and type of every field, declared once, and the one function that turns a validation
error into the one-line InputError. What a schema cannot say (a code listed twice, a
pair of unknown states, the parts of a fact its kind needs) the loaders check after it."""

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from sim.errors import InputError

# a state's code: upper-case letters and digits, a letter first (ISO3 such as PAK, or a
# short code such as UKG); codes name files and columns, so nothing else is taken
STATE_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")
StateCode = Annotated[str, StringConstraints(pattern=STATE_CODE.pattern)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Signed = Annotated[float, Field(ge=-1.0, le=1.0)]  # an alignment


def check_state_code(code, where, field: str = "code") -> str:
    """`code` if it matches STATE_CODE; InputError otherwise."""
    if not isinstance(code, str) or not STATE_CODE.match(code):
        raise InputError(where, field, f"{code!r} is not a state code; use 2-8 upper-case "
                         "letters and digits, a letter first (ISO3, e.g. PAK)")
    return code


def input_error(err: ValidationError, where, fix: str = "fix the value") -> InputError:
    """The first problem of a validation error as one line: an entry of a list is named in
    `where` (`file: actors[2]`), the entry's field is the field, a part inside it is named
    in the text."""
    first = err.errors(include_url=False)[0]
    loc = list(first["loc"])
    if len(loc) >= 2 and isinstance(loc[1], int):
        where = f"{where}: {loc[0]}[{loc[1]}]"
        loc = loc[2:] or [loc[0]]
    field, inner = (str(loc[0]) if loc else "top level"), "".join(f"[{part}]" for part in loc[1:])
    value = first.get("input")
    shown = "" if isinstance(value, dict | list) else f" ({value!r:.40})"
    message = first["msg"][:1].lower() + first["msg"][1:]
    return InputError(where, field, f"{inner + ': ' if inner else ''}{message}{shown}; {fix}")


def validate(model: type[BaseModel], data, where, fix: str = "fix the value") -> BaseModel:
    """`data` as `model`; InputError (input_error) if it does not fit."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise input_error(err, where, fix) from None


class _Strict(BaseModel):
    # numbers are numbers (not true/false, not text); keys the reader does not use may stay
    model_config = ConfigDict(strict=True, extra="allow")


class ActorEntry(_Strict):
    code: str
    name: Any = None
    capability: Annotated[float, Field(gt=0.0, allow_inf_nan=False)]


class AlignmentEntry(_Strict):
    source: str
    target: str
    value: Signed


class ActorsFile(_Strict):
    """seeds/actors.yaml: the states, and the alignments at the start."""

    actors: Annotated[list[ActorEntry], Field(min_length=2)]
    alignment: list[AlignmentEntry] | None = None
    alignment_file: str | None = None  # a CSV beside the file: source, target, value
    alignment_default: Signed | None = None


class FactEntry(_Strict):
    id: Annotated[str, Field(min_length=1)] | int
    text: Any = ""
    kind: Literal["level", "order", "trend", "effect"]
    pairs: list[Annotated[list[str], Field(min_length=2, max_length=2)]]  # [source, target]
    dates: list[str | int]
    op: Literal[">", "<"]
    threshold: Finite
    source_doc: Any = ""
    scenario: str = ""


class FactsFile(_Strict):
    """seeds/facts.yaml: the stylized facts."""

    facts: list[FactEntry]


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
    effect_threshold: float | None = None
    effects: list[EffectEntry] | None = None


def read_summary(data, where) -> dict:
    """`data` (a parsed summary.json) if it has the summary's shape; InputError otherwise."""
    validate(RunSummary, data, where, "run the job again")
    return data
