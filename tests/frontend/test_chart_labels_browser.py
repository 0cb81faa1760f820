"""Group names of any length stay inside the report's charts in a real browser: a name too long for the label column
is cut with an ellipsis (its full text in the label's tooltip) instead of running off the chart's left edge."""

import pytest

from audits.renderings.charts import selection_rate_chart
from tests.frontend.test_report_page_browser import SCREENSHOTS

pytestmark = pytest.mark.browser

NAMES = [
    "Native Hawaiian or Other Pacific Islander × Female",
    "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWW",
    "American Indian or Alaska Native",
    "Asian",
]


def test_long_group_names_are_cut_inside_the_chart(browser_page):
    attribute = {
        "attribute": "race × sex",
        "reference_group": "Asian",
        "groups": [{"group": name, "selection_rate": 0.4, "n_selected": 40, "n": 100} for name in NAMES],
    }
    svg = selection_rate_chart(attribute, alpha=0.05)
    browser_page.set_content(f"<!doctype html><html><body style='margin:0'>{svg}</body></html>")

    boxes = browser_page.evaluate(
        "[...document.querySelectorAll('svg.chart > text')].map(t => {"
        "  const b = t.getBBox(); return {text: t.textContent, x: b.x, right: b.x + b.width}; })"
    )
    labels = [b for b in boxes if b["right"] <= 180]  # the label column (the values sit at the right edge)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser_page.screenshot(path=str(SCREENSHOTS / "chart-long-group-names.png"))

    assert len(labels) == len(NAMES)
    assert all(box["x"] >= 0 for box in labels), labels
    titles = browser_page.evaluate("[...document.querySelectorAll('svg.chart > text > title')].map(t => t.textContent)")
    assert titles == NAMES  # the whole name on hover
    assert any(box["text"].endswith("…") for box in labels) and any(box["text"].endswith("Asian") for box in labels)
