"""REST API /api/v1/: routed viewsets over selectors and services."""
