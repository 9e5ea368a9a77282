"""How SARI writes its values: Zurich wall-clock times without an offset, and FABER-IDs.

Shared by the client (reading) and the sandbox (writing), so that both sides agree.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

ZURICH = ZoneInfo("Europe/Zurich")
TIME_FORMAT = "%Y-%m-%d %H:%M"
FABER_ID_DIGITS = 9  # the learner's permit number, as coursedetail pads it


class FormatError(ValueError):
    """A value is not in the form SARI promises."""


def parse_time(text: str) -> datetime:
    """SARI's "YYYY-MM-DD HH:MM" as the aware Zurich time it means.

    Times inside the spring-forward gap (02:00 to 03:00) do not exist in Zurich; zoneinfo reads
    them with the winter offset. Courses are never held then, so nothing depends on it.
    """
    if not isinstance(text, str):
        raise FormatError(f"expected a time as text, got {type(text).__name__}")
    try:
        naive = datetime.strptime(text.strip(), TIME_FORMAT)
    except ValueError:
        raise FormatError(f"{text!r} is not a time of the form YYYY-MM-DD HH:MM") from None
    return naive.replace(tzinfo=ZURICH)


def format_time(moment: datetime) -> str:
    """The Zurich wall-clock text SARI sends for an aware moment."""
    return moment.astimezone(ZURICH).strftime(TIME_FORMAT)


def parse_date(text: str) -> date:
    """A "YYYY-MM-DD" date; a time part after it (some fields may carry one) is ignored."""
    if not isinstance(text, str):
        raise FormatError(f"expected a date as text, got {type(text).__name__}")
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise FormatError(f"{text!r} is not a date of the form YYYY-MM-DD") from None


def canonical_faber_id(raw: str | int) -> str:
    """The FABER-ID for comparisons: digits only, leading zeros stripped.

    coursedetail pads it to nine digits ("007181751"), customer does not ("7181751").
    """
    text = str(raw).strip()
    if not text.isdigit():
        raise FormatError(f"{text!r} is not a FABER-ID (digits only)")
    return text.lstrip("0") or "0"


def padded_faber_id(raw: str | int) -> str:
    """The nine-digit form coursedetail sends."""
    return canonical_faber_id(raw).zfill(FABER_ID_DIGITS)
