"""Building and validating canonical reports."""
