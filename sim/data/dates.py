"""Monthly calendar: 'YYYY-MM' strings to month indices and back."""

import re

import numpy as np

from sim.errors import InputError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str, where: str, field: str) -> int:
    """'YYYY-MM' -> months since year 0 (an integer); InputError if malformed."""
    match = _MONTH.match(str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InputError(where, field, f"'{text}' is not a month; write it as YYYY-MM, e.g. 2018-01")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def month_label(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def month_dates(first: int, count: int) -> np.ndarray:
    """datetime64[D] of the first day of `count` months from month index `first`."""
    months = np.arange(first, first + count)
    years, mons = months // 12, months % 12
    return (np.array([f"{y:04d}-{m + 1:02d}-01" for y, m in zip(years, mons, strict=True)],
                     dtype="datetime64[D]"))
