"""OpenAPI documentation of the 400s of pagination parameters, which no serializer or filter declares (kept apart
from pagination.py, which DRF imports while its own modules are still loading)."""

import re

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


# The code of a service's refusal of a request as a whole (ApplicationError without a field): attr is null.
REQUEST_ERROR_CODE = "invalid"
_WRITE_METHODS = ("post", "put", "patch", "delete")
_PLACEHOLDER = re.compile(r"\b(INDEX|KEY)\b")


def postprocess_error_attrs(result, generator, request, public):
    """drf-spectacular postprocessing hook (after drf-standardized-errors' own): make the documented 400s say what
    the API answers.

    - An error inside a list names the item's position (`reference.0`, `intersections.1.0`), which
      drf-standardized-errors documents as the literal `reference.INDEX`: such an `attr` becomes a pattern (and
      leaves the discriminator's mapping, which can only name literal values); since a pattern may match more than
      one documented attr (`bands.KEY` and `bands.KEY.INDEX`), an error is anyOf them, not oneOf.
    - A write that a service refuses as a whole (e.g. "You already have 20 API tokens") answers `attr: null`, code
      `invalid`; one that a service refuses for a field's value beyond the serializer's checks (e.g. a reference
      group that is not `column=group`) names the field, code `invalid`: every write's 400 documents both.
    """
    schemas = result.get("components", {}).get("schemas", {})
    for component in schemas.values():
        attr = component.get("properties", {}).get("attr") if isinstance(component, dict) else None
        values = attr.get("enum") if isinstance(attr, dict) else None
        if values and len(values) == 1 and isinstance(values[0], str) and _PLACEHOLDER.search(values[0]):
            name = values[0]
            # A key may hold any character, dots included ([\s\S]: also a newline, which `.` would not match).
            pattern = _PLACEHOLDER.sub(lambda m: "[0-9]+" if m.group(1) == "INDEX" else r"[\s\S]+", re.escape(name))
            component["properties"]["attr"] = {
                "type": "string",
                "pattern": f"^{pattern}$",
                "description": f"`{name}`: INDEX is an item's position in a list, KEY a key of an object",
            }
    for component in schemas.values():
        mapping = component.get("discriminator", {}).get("mapping") if isinstance(component, dict) else None
        if mapping and component["discriminator"].get("propertyName") == "attr":
            for value in [v for v in mapping if isinstance(v, str) and _PLACEHOLDER.search(v)]:
                del mapping[value]
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method in _WRITE_METHODS:
                _document_request_error(schemas, operation)
    for component in schemas.values():
        if isinstance(component, dict) and component.get("discriminator", {}).get("propertyName") == "attr":
            component["anyOf"] = component.pop("oneOf")  # `bands.a.0` is both some `bands.KEY` and `bands.KEY.INDEX`
    return result


def _ref_name(node) -> str | None:
    ref = node.get("$ref", "") if isinstance(node, dict) else ""
    return ref.rsplit("/", 1)[-1] if ref.startswith("#/components/schemas/") else None


def _document_request_error(schemas: dict, operation: dict) -> None:
    """Add REQUEST_ERROR_CODE to the codes of each field of this operation's 400, and to its `attr: null` error
    (added when drf-standardized-errors documented none)."""
    response = operation.get("responses", {}).get("400", {})
    top = _ref_name(response.get("content", {}).get("application/json", {}).get("schema"))
    for variant in schemas.get(top, {}).get("oneOf", []) if top else []:
        validation = schemas.get(_ref_name(variant) or "", {})
        if validation.get("properties", {}).get("type", {}).get("$ref", "").endswith("/ValidationErrorEnum"):
            error = _ref_name(validation["properties"]["errors"].get("items"))
            if error and "oneOf" in schemas.get(error, {}):
                _add_field_codes(schemas, error)
                _add_null_attr(schemas, error)


def _add_field_codes(schemas: dict, error: str) -> None:
    for member in schemas[error]["oneOf"]:
        properties = schemas.get(_ref_name(member) or "", {}).get("properties", {})
        values = properties.get("attr", {}).get("enum") or [None]
        codes = properties.get("code", {})
        if values[0] is not None and "enum" in codes and REQUEST_ERROR_CODE not in codes["enum"]:
            codes["enum"].append(REQUEST_ERROR_CODE)
            codes["description"] = "\n".join(f"* `{code}` - {code}" for code in codes["enum"])


def _add_null_attr(schemas: dict, error: str) -> None:
    union = schemas[error]
    mapping = union.setdefault("discriminator", {"propertyName": "attr"}).setdefault("mapping", {})
    existing = mapping.get(None) or mapping.get("null")  # drf-standardized-errors' own key is None
    if existing:
        codes = schemas[_ref_name({"$ref": existing})]["properties"]["code"]
        if REQUEST_ERROR_CODE not in codes["enum"]:
            codes["enum"].append(REQUEST_ERROR_CODE)
            codes["description"] = "\n".join(f"* `{code}` - {code}" for code in codes["enum"])
        return
    component = f"{error}Component"
    schemas[component] = {
        "type": "object",
        "properties": {
            "attr": {"enum": [None], "nullable": True, "description": "null: the request as a whole"},
            "code": {"enum": [REQUEST_ERROR_CODE], "type": "string", "description": f"* `{REQUEST_ERROR_CODE}`"},
            "detail": {"type": "string"},
        },
        "required": ["attr", "code", "detail"],
    }
    union["oneOf"].append({"$ref": f"#/components/schemas/{component}"})
    mapping[None] = f"#/components/schemas/{component}"
