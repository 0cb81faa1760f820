"""How numbers of a report are written in its human-readable renderings (HTML, PDF, Markdown card).

One formatter for all of them, so a printed copy can be checked against the JSON: every metric value,
interval bound and selection rate is written to three decimals by Python's format mini-language (correctly
rounded from the binary value, ties to even).
"""

DIGITS = 3
NOT_AVAILABLE = "n/a"


def fmt_number(value: float | int | None, digits: int = DIGITS) -> str:
    """A statistic to ``digits`` decimals ('n/a' when it could not be computed)."""
    if value is None:
        return NOT_AVAILABLE
    return f"{value:.{digits}f}"


def fmt_signed(value: float | None, digits: int = DIGITS) -> str:
    """A difference or effect size, sign always shown."""
    if value is None:
        return NOT_AVAILABLE
    return f"{value:+.{digits}f}"


def fmt_interval(low: float | None, high: float | None, digits: int = DIGITS) -> str:
    """'[low, high]', or '' when the interval is not available."""
    if low is None or high is None:
        return ""
    return f"[{fmt_number(low, digits)}, {fmt_number(high, digits)}]"


def fmt_p(value: float | None) -> str:
    """A p-value: three decimals down to 0.001, then two significant digits in scientific notation."""
    if value is None:
        return NOT_AVAILABLE
    if value >= 0.001 or value == 0:
        return f"{value:.3f}"
    return f"{value:.1e}"


def fmt_percent(value: float | None) -> str:
    """A share of pairs or rows, as a whole percent."""
    if value is None:
        return NOT_AVAILABLE
    return f"{value:.0%}"
