"""Reading the API's one error shape (drf-standardized-errors): {"type", "errors": [{"code", "detail", "attr"}]}."""


def error_detail(response) -> str:
    """Every error message of the response, joined (most responses carry one)."""
    return " ".join(error["detail"] for error in response.json()["errors"])


def error_attr(response) -> str | None:
    """The input the first error names (a service error's `field`), or None."""
    return response.json()["errors"][0]["attr"]
