"""Checks a user states in a small grammar, judged by interval like the platform's own verdicts (design.md §4).

Grammar (whitespace is free; names and groups are bare words: a letter or _ then letters, digits, _ . ' -;
or numbers; anything else double-quoted, e.g. ``age_band="25-60"``)::

    check      := rate_check | swap_check
    rate_check := RATE "(" ATTR "=" GROUP ")" OP RATE "(" ATTR "=" GROUP ")" [("+" | "-") NUMBER]
                | RATE "(" ATTR "=" GROUP ")" OP NUMBER
    swap_check := SWAP "(" TERM "->" TERM ")" OP NUMBER                (text: replace word P by word Q)
                | SWAP "(" ATTR "=" GROUP "->" GROUP ")" OP NUMBER     (tabular: set the column to another group)
    RATE       := selection_rate | true_positive_rate | false_positive_rate
    SWAP       := mean_delta | mean_abs_delta
    OP         := ">=" | "<=" | ">" | "<"

Examples::

    selection_rate(sex=female) >= selection_rate(sex=male) - 0.05     # female SR not lower than male SR by > 0.05
    true_positive_rate(race="African-American") >= 0.6
    mean_abs_delta(he -> she) < 0.02                                   # swapping "he" for "she" moves scores < 0.02
    mean_delta(sex=female -> male) <= 0.05

Each check is reduced to a margin D that is >= 0 exactly when the check holds (e.g. D = SR_f - SR_m + 0.05 for the
first). Its ``1 - alpha`` percentile bootstrap interval decides the verdict as in design.md §4: ``pass`` when the
whole interval satisfies the check (D >= 0), ``fail`` when the whole interval violates it (D < 0), ``inconclusive``
otherwise. Rate checks bootstrap the attribute's count table (Multinomial draws, exactly the row bootstrap); swap
checks bootstrap the rows' paired deltas. The one-sided test reports p = Phi(D / se) for H0 "the check holds"
against H1 "it is violated" (normal approximation with the bootstrap standard error): small p is evidence of a
violation. Strict and non-strict comparators are judged alike (a boundary has probability zero).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from explainers.metrics.bootstrap import bootstrap_tables, percentile_interval
from explainers.metrics.counts import FAV, CountTable
from explainers.probes.paired import bootstrap_sums

RATES = ("selection_rate", "true_positive_rate", "false_positive_rate")
SWAPS = ("mean_delta", "mean_abs_delta")
OPERATORS = (">=", "<=", ">", "<")
MAX_CHECKS = 20
MAX_LENGTH = 300

_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d*)?|\.\d+)"
    r"|(?P<op>>=|<=|->|[<>=()+\-])"
    r"|\"(?P<quoted>[^\"]*)\""
    r"|(?P<word>[A-Za-z_](?:[A-Za-z0-9_.']|-(?!>))*))"  # a hyphen inside a word, but "->" is the arrow
)


class CheckSyntaxError(ValueError):
    """A check that does not follow the grammar; the message says where and what was expected."""


@dataclass(frozen=True)
class RateTerm:
    rate: str
    attribute: str
    group: str


@dataclass(frozen=True)
class ParsedCheck:
    """A parsed check. kind "rate": ``left`` op ``right`` + ``offset`` (``right`` None: ``left`` op ``offset``).
    kind "swap": ``statistic`` of the deltas of replacing ``source`` by ``target`` (in ``attribute`` when set, else
    as words of the text) op ``offset``."""

    text: str
    kind: str
    op: str
    offset: float
    left: RateTerm | None = None
    right: RateTerm | None = None
    statistic: str = ""
    attribute: str = ""
    source: str = ""
    target: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ParsedCheck:
        data = dict(data)
        for side in ("left", "right"):
            if data.get(side) is not None:
                data[side] = RateTerm(**data[side])
        return cls(**data)


class _Tokens:
    def __init__(self, text: str) -> None:
        self.items: list[tuple[str, str, int]] = []
        position = 0
        stripped = text.rstrip()
        while position < len(stripped):
            match = _TOKEN.match(stripped, position)
            if match is None or match.end() == position:
                raise CheckSyntaxError(f"unexpected character {stripped[position:].lstrip()[:1]!r} at {position + 1}")
            kind = match.lastgroup
            self.items.append((kind, match.group(kind), match.start(kind) + 1))
            position = match.end()
        self.index = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.items[self.index] if self.index < len(self.items) else None

    def take(self, kind: str, value: str | None = None, what: str = "") -> str:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            found = f"{token[1]!r} at {token[2]}" if token else "the end"
            raise CheckSyntaxError(f"expected {what or (repr(value) if value else kind)}, found {found}")
        self.index += 1
        return token[1]

    def name(self, what: str) -> str:
        token = self.peek()
        if token is not None and token[0] in ("word", "quoted", "number"):
            self.index += 1
            return token[1]
        found = f"{token[1]!r} at {token[2]}" if token else "the end"
        raise CheckSyntaxError(f"expected {what}, found {found}")


def parse_check(text: str) -> ParsedCheck:
    """Parse one check (grammar in the module docstring).

    Raises:
        CheckSyntaxError: naming the position and what was expected.
    """
    text = (text or "").strip()
    if not text:
        raise CheckSyntaxError("the check is empty")
    if len(text) > MAX_LENGTH:
        raise CheckSyntaxError(f"a check is at most {MAX_LENGTH} characters")
    tokens = _Tokens(text)
    function = tokens.take("word", what=f"one of {', '.join(RATES + SWAPS)}")
    if function in RATES:
        parsed = _rate_check(text, function, tokens)
    elif function in SWAPS:
        parsed = _swap_check(text, function, tokens)
    else:
        raise CheckSyntaxError(f"unknown function {function!r}; use one of {', '.join(RATES + SWAPS)}")
    if tokens.peek() is not None:
        token = tokens.peek()
        raise CheckSyntaxError(f"unexpected {token[1]!r} at {token[2]} after the end of the check")
    return parsed


def _rate_term(rate: str, tokens: _Tokens) -> RateTerm:
    tokens.take("op", "(")
    attribute = tokens.name("an attribute name")
    tokens.take("op", "=")
    group = tokens.name("a group")
    tokens.take("op", ")")
    return RateTerm(rate, attribute, group)


def _operator(tokens: _Tokens) -> str:
    token = tokens.peek()
    if token is None or token[1] not in OPERATORS:
        found = f"{token[1]!r} at {token[2]}" if token else "the end"
        raise CheckSyntaxError(f"expected a comparison ({' '.join(OPERATORS)}), found {found}")
    tokens.index += 1
    return token[1]


def _number(tokens: _Tokens, sign: float = 1.0) -> float:
    if tokens.peek() is not None and tokens.peek()[1] == "-":
        tokens.index += 1
        sign = -sign
    return sign * float(tokens.take("number", what="a number"))


def _rate_check(text: str, rate: str, tokens: _Tokens) -> ParsedCheck:
    left = _rate_term(rate, tokens)
    op = _operator(tokens)
    token = tokens.peek()
    if token is not None and token[0] == "word":
        other = tokens.take("word")
        if other not in RATES:
            raise CheckSyntaxError(f"a rate compares with a number or a rate ({', '.join(RATES)}), not {other!r}")
        right = _rate_term(other, tokens)
        if right.attribute != left.attribute:
            raise CheckSyntaxError("both sides must be groups of the same attribute (their rows are resampled jointly)")
        offset = 0.0
        if tokens.peek() is not None and tokens.peek()[1] in ("+", "-"):
            sign = 1.0 if tokens.take("op") == "+" else -1.0
            offset = _number(tokens, sign)
        return ParsedCheck(text=text, kind="rate", op=op, offset=offset, left=left, right=right)
    return ParsedCheck(text=text, kind="rate", op=op, offset=_number(tokens), left=left)


def _swap_check(text: str, statistic: str, tokens: _Tokens) -> ParsedCheck:
    tokens.take("op", "(")
    first = tokens.name("a word or an attribute name")
    attribute = ""
    if tokens.peek() is not None and tokens.peek()[1] == "=":
        tokens.index += 1
        attribute, first = first, tokens.name("a group")
    tokens.take("op", "->")
    second = tokens.name("a word or a group")
    tokens.take("op", ")")
    op = _operator(tokens)
    return ParsedCheck(
        text=text, kind="swap", op=op, offset=_number(tokens), statistic=statistic, attribute=attribute,
        source=first, target=second,
    )  # fmt: skip


@dataclass(frozen=True)
class CheckResult:
    """A check's verdict: ``left``/``right`` the point values of its two sides (``right`` may be the constant),
    ``margin`` D (>= 0 when the check holds), its interval, the one-sided test and the sizes it rests on."""

    text: str
    kind: str
    verdict: str
    left: float | None
    right: float | None
    margin: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    n: dict
    method: str
    note: str = ""


def _sign(op: str) -> float:
    """D = sign * (left - right): positive when the check holds."""
    return 1.0 if op in (">=", ">") else -1.0


def _judge(check: ParsedCheck, point: float, reps: np.ndarray, alpha: float) -> tuple[str, float, float, float | None]:
    reps = reps[np.isfinite(reps)]
    if reps.size == 0 or not math.isfinite(point):
        return "insufficient_data", math.nan, math.nan, None
    low, high = (float(v) for v in percentile_interval(reps, alpha))
    verdict = "pass" if low >= 0 else "fail" if high < 0 else "inconclusive"
    se = float(np.std(reps, ddof=1)) if reps.size > 1 else 0.0
    p = float(stats.norm.cdf(point / se)) if se > 0 else (1.0 if point >= 0 else 0.0)
    return verdict, low, high, p


def _rates(cells: np.ndarray, rate: str, g: int) -> tuple[np.ndarray, np.ndarray]:
    """Numerator and denominator of a rate of group ``g`` over the last three axes ``[g, y, yhat]``."""
    if rate == "selection_rate":
        return cells[..., g, :, FAV].sum(axis=-1), cells[..., g, :, :].sum(axis=(-1, -2))
    y = FAV if rate == "true_positive_rate" else 1 - FAV
    return cells[..., g, y, FAV], cells[..., g, y, :].sum(axis=-1)


def evaluate_rate_check(
    check: ParsedCheck, table: CountTable, *, n_boot: int, seed: int, alpha: float, min_group_size: int,
    min_denominator: int,
) -> CheckResult:  # fmt: skip
    """Judge a rate check on the attribute's count table (bootstrap of the table, design.md §4)."""
    terms = [t for t in (check.left, check.right) if t is not None]
    sizes, missing = {}, [t.group for t in terms if t.group not in table.groups]
    if missing:
        return _unjudged(check, f"no rows of group(s) {', '.join(missing)}", {})
    if any(t.rate != "selection_rate" for t in terms) and not table.has_outcome:
        return _unjudged(check, "true/false positive rates need the dataset's outcome column", {})
    cells = np.asarray(table.cells, dtype=np.float64)
    points, short = [], []
    for term in terms:
        g = table.groups.index(term.group)
        numerator, denominator = _rates(cells, term.rate, g)
        sizes[term.group] = int(cells[g].sum())
        if cells[g].sum() < min_group_size or denominator < min_denominator:
            short.append(term.group)
        points.append(numerator / denominator if denominator else math.nan)
    if short:
        return _unjudged(check, f"group(s) {', '.join(short)} under the minimum size", sizes)
    draws = bootstrap_tables(table.cells, n_boot, seed).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        sides = []
        for term in terms:
            numerator, denominator = _rates(draws, term.rate, table.groups.index(term.group))
            sides.append(numerator / denominator)
    right_point = points[1] + check.offset if check.right is not None else check.offset
    right_reps = sides[1] + check.offset if check.right is not None else check.offset
    sign = _sign(check.op)
    point = sign * (points[0] - right_point)
    verdict, low, high, p = _judge(check, point, sign * (sides[0] - right_reps), alpha)
    return _result(check, verdict, points[0], right_point, point, low, high, p, sizes, "rate")


def evaluate_swap_check(
    check: ParsedCheck, deltas: np.ndarray, *, n_boot: int, seed: int, alpha: float, min_rows: int
) -> CheckResult:
    """Judge a swap check on the paired deltas score(x') - score(x) of the rows it applies to (row bootstrap)."""
    deltas = np.asarray(deltas, dtype=np.float64)
    values = np.abs(deltas) if check.statistic == "mean_abs_delta" else deltas
    sizes = {"rows": int(values.size)}
    if values.size < max(int(min_rows), 1):
        return _unjudged(check, f"{values.size} row(s) hold the term; at least {min_rows} are needed", sizes)
    reps = bootstrap_sums(values, n_boot, np.random.default_rng(seed))[:, 0] / values.size
    sign = _sign(check.op)
    left = float(values.mean())
    point = sign * (left - check.offset)
    verdict, low, high, p = _judge(check, point, sign * (reps - check.offset), alpha)
    return _result(check, verdict, left, check.offset, point, low, high, p, sizes, "swap")


def _result(check, verdict, left, right, margin, low, high, p, sizes, kind) -> CheckResult:
    method = (
        "percentile bootstrap of the attribute's count table (Multinomial draws), one-sided z test"
        if kind == "rate"
        else "percentile bootstrap of the rows' paired deltas, one-sided z test"
    )
    return CheckResult(
        text=check.text, kind=check.kind, verdict=verdict, left=_finite(left), right=_finite(right),
        margin=_finite(margin), ci_low=_finite(low), ci_high=_finite(high), p_value=_finite(p), n=sizes,
        method=method,
    )  # fmt: skip


def _unjudged(check: ParsedCheck, note: str, sizes: dict) -> CheckResult:
    return CheckResult(
        text=check.text, kind=check.kind, verdict="insufficient_data", left=None, right=None, margin=None,
        ci_low=None, ci_high=None, p_value=None, n=sizes, method="", note=note,
    )  # fmt: skip


def _finite(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
