"""Filters of the report renderings (export and page): verdicts as words."""

from django import template

from audits.reports.sentences import verdict_word

register = template.Library()


@register.filter
def verdict_label(verdict: str) -> str:
    """'insufficient_data' -> 'insufficient data': a verdict as words, never a raw key."""
    return verdict_word(str(verdict))
