"""Pagination with bounded, validated parameters: a value that is not a whole number, or does not fit the
database's 64-bit integers, answers 400 naming the parameter; page sizes above the maximum are capped."""

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, LimitOffsetPagination

MAX_DB_INT = 2**63 - 1
MAX_PAGE_SIZE = 500


def query_int(request, name: str, *, default: int | None, minimum: int, cap: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: [f"'{raw[:40]}' is not a whole number."]}) from None
    if not minimum <= value <= MAX_DB_INT:
        raise ValidationError({name: [f"{name} must be between {minimum} and {MAX_DB_INT}."]})
    return min(value, cap) if cap is not None else value


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """`?limit=` (at most 500) and `?offset=`."""

    max_limit = MAX_PAGE_SIZE

    def get_limit(self, request):
        return query_int(request, self.limit_query_param, default=self.default_limit, minimum=1, cap=self.max_limit)

    def get_offset(self, request):
        return query_int(request, self.offset_query_param, default=0, minimum=0)


class IdCursorPagination(CursorPagination):
    """Newest first by id; `?cursor=` is opaque (follow `next`), `?page_size=` up to 500. A cursor stays valid
    while items are added, so a client walking the pages sees every item once."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        return query_int(request, self.page_size_query_param, default=self.page_size, minimum=1, cap=self.max_page_size)

    def decode_cursor(self, request):
        invalid = ValidationError({self.cursor_query_param: ["Invalid cursor: follow the `next` or `previous` link."]})
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise invalid from None
        if cursor is not None and cursor.position is not None:
            # The position is an id (the ordering field): anything else would reach the database as a 500.
            if not (cursor.position.isascii() and cursor.position.isdigit()) or int(cursor.position) > MAX_DB_INT:
                raise invalid
        return cursor
