"""bk-job cron expressions ⇄ the 5-field cron OpsGraph schedules with.

bk-job documents Quartz expressions: `sec min hour day-of-month month day-of-week [year]`, with `?`
for "no specific value" and day-of-week counted 1 (SUN) … 7 (SAT). OpsGraph's crons are the Linux
5-field form (minute hour day month weekday, 0 = Sunday), evaluated in UTC. Callers also send the
Linux form (older bk-job docs described it), so a 5-field expression is taken as it is.

Only what both forms can say is converted; the rest is refused with the reason:
- seconds must be one fixed value: the job runs at the start of that minute (a schedule every N
  seconds has no 5-field form);
- the year must be empty, `*` or `?`;
- Quartz-only day specials (`L`, `W`, `#`, `C`) are refused.

Example:
    to_cron("0 0/5 * * * ?")     # "0-59/5 * * * *"
    to_quartz("0-59/5 * * * *")  # "0 0/5 * * * ?"
    to_cron("0 30 2 ? * 2-6")    # "30 2 * * 1-5"  (Monday–Friday)
    to_quartz("30 2 * * 1-5")    # "0 30 2 ? * 2-6"
"""

from __future__ import annotations

import re

from opsgraph.core.errors import ValidationFailed

_FIELD = "cron_expression"
_MAXIMA = {"minute": 59, "hour": 23, "day-of-month": 31, "month": 12, "day-of-week": 7}
_NUMBER = re.compile(r"\d+")
_TOKEN_SEPARATORS = re.compile(r"[,/-]")
_NAMES = frozenset(
    {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
    | {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
)


def _refuse(expression: str, reason: str) -> ValidationFailed:
    return ValidationFailed(f"cron_expression {expression!r} cannot be scheduled here: {reason}", field=_FIELD)


def to_cron(expression: str) -> str:
    """The 5-field form of a Quartz (6/7 fields) or Linux (5 fields) expression."""
    fields = expression.split()
    if len(fields) == 5:
        return " ".join(fields)
    if len(fields) not in (6, 7):
        raise ValidationFailed(
            f"cron_expression {expression!r} needs 6 or 7 Quartz fields (sec min hour day month week [year]) "
            "or 5 Linux fields",
            field=_FIELD,
        )
    seconds, minute, hour, day, month, weekday = fields[:6]
    if not seconds.isdigit() or int(seconds) > 59:
        raise _refuse(expression, "the seconds field must be one fixed second (schedules run per minute)")
    if len(fields) == 7 and fields[6] not in ("*", "?"):
        raise _refuse(expression, "a year cannot be given")
    for name, value in zip(("minute", "hour", "day-of-month", "month", "day-of-week"), fields[1:6], strict=True):
        if not all(_plain(token) for token in _TOKEN_SEPARATORS.split(value)):
            raise _refuse(expression, f"the {name} field {value!r} uses Quartz-only syntax (L, W, #, C)")
    converted = [
        _steps(minute, "minute"),
        _steps(hour, "hour"),
        _steps(_any(day), "day-of-month"),
        _steps(month, "month"),
        _weekdays(_any(weekday)),
    ]
    return " ".join(converted)


def to_quartz(cron: str) -> str:
    """bk-job's Quartz form of a stored 5-field expression (what get_cron_list reports)."""
    fields = cron.split()
    if len(fields) != 5:
        return cron
    minute, hour, day, month, weekday = fields
    minute, hour, day, month = (
        _from_steps(minute, "minute"),
        _from_steps(hour, "hour"),
        _from_steps(day, "day-of-month"),
        _from_steps(month, "month"),
    )
    weekday = ",".join(_quartz_weekday(part) for part in weekday.split(","))
    # Quartz wants `?` in exactly one of the two day fields.
    if weekday == "*":
        weekday = "?"
    elif day == "*":
        day = "?"
    return " ".join(["0", minute, hour, day, month, weekday])


def _quartz_weekday(part: str) -> str:
    """One list item of a 5-field weekday in Quartz numbering (the step after `/` is a count, kept)."""
    days, slash, step = part.partition("/")
    days = _NUMBER.sub(lambda m: str(int(m.group()) % 7 + 1), days)
    if slash and days.endswith("-7") and days[:-2].isdigit():
        days = days[:-2]  # "from day a every b days" reads a/b in Quartz
    return f"{days}/{step}" if slash else days


def _from_steps(value: str, name: str) -> str:
    """`a-max/b` reads `a/b` in Quartz (the inverse of `_steps`)."""
    suffix = f"-{_MAXIMA[name]}/"
    return ",".join(part.replace(suffix, "/", 1) if suffix in part else part for part in value.split(","))


def _plain(token: str) -> bool:
    return token in ("", "*", "?") or token.isdigit() or token.upper() in _NAMES


def _any(value: str) -> str:
    return "*" if value == "?" else value


def _steps(value: str, name: str) -> str:
    """Quartz `a/b` ("from a every b") is `a-max/b` in the 5-field form."""
    parts = []
    for part in value.split(","):
        start, slash, step = part.partition("/")
        if slash and start.isdigit():
            part = f"{start}-{_MAXIMA[name]}/{step}"
        parts.append(part)
    return ",".join(parts)


def _weekdays(value: str) -> str:
    """Quartz counts 1 (SUN) … 7 (SAT); the 5-field form 0 (SUN) … 6 (SAT). Names are the same."""
    if value == "*":
        return value
    converted = []
    for part in value.split(","):
        start, slash, step = part.partition("/")
        if slash and start.isdigit():
            start = f"{start}-7"  # "from day a every b days", before renumbering
        shifted = _NUMBER.sub(lambda m: _weekday_number(m.group()), start)
        converted.append(f"{shifted}/{step}" if slash else shifted)
    return ",".join(converted)


def _weekday_number(text: str) -> str:
    number = int(text)
    if not 1 <= number <= 7:
        raise ValidationFailed(f"day-of-week {number} is outside Quartz's 1 (SUN) … 7 (SAT)", field=_FIELD)
    return str(number - 1)
