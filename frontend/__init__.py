"""Server-rendered pages. Calls selectors and services; never imports explainers."""
