"""Filters of the report renderings (export and page): verdicts as words."""

from django import template

from audits.reports.sentences import reference_rule_words, verdict_word

register = template.Library()


@register.filter
def verdict_label(verdict: str) -> str:
    """'insufficient_data' -> 'insufficient data': a verdict as words, never a raw key."""
    return verdict_word(str(verdict))


@register.filter
def reference_rule(rule: str) -> str:
    """'highest_selection_rate' -> how the reference group was chosen, in words."""
    return reference_rule_words(str(rule))
