"""Sentences that explain numbers a reader may take for mistakes, shared by the report renderings and summaries."""

# Beside each metric result (design.md section 4): the verdict and the p-value answer different questions.
VERDICT_AND_P = (
    "The verdict compares the 95% interval with the band: pass when the whole interval lies inside it, fail when "
    "the whole interval lies outside it, inconclusive when it straddles an edge. p (Holm) answers another "
    "question: whether the group's proportion behind the metric (selection rate, TPR, FPR or PPV) differs from the "
    "reference's at all, Holm-adjusted across every comparison of the audit. So a fail can stand beside a large p "
    "(the interval lies beyond the band, but after the adjustment the test finds no firm evidence of a difference): "
    "read such a fail with care."
)

# Beside a protected share of a text attribution (design.md section 6).
PROTECTED_SHARE = (
    "Protected share: the part of the score change Δ carried by the swapped words; it can exceed 1 (or fall below "
    "0) when the context words push the other way, so the swapped words account for more than the whole change."
)


def share_outside_unit(*values) -> bool:
    """Whether any of the shares (None ignored) lies outside [0, 1], where PROTECTED_SHARE explains why."""
    return any(value is not None and not 0 <= value <= 1 for value in values)
