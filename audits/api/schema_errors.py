"""OpenAPI documentation of the 400s of pagination parameters, which no serializer or filter declares (kept apart
from pagination.py, which DRF imports while its own modules are still loading)."""

from drf_standardized_errors.openapi_validation_errors import extend_validation_errors


def document_pagination_errors(*names: str, actions: list[str] | None = ("list",)):
    """Document in the OpenAPI schema the 400 of each pagination parameter (`attr` = its name, code `invalid`)."""

    def decorate(view):
        for name in names:
            view = extend_validation_errors(["invalid"], field_name=name, actions=list(actions) if actions else None)(
                view
            )
        return view

    return decorate


LIMIT_OFFSET = ("limit", "offset")
CURSOR = ("cursor", "page_size")
