"""Query and header parameters that many REST routes share, documented once."""

from typing import Annotated

from litestar.params import Parameter

from api.pagination import DEFAULT_LIMIT, MAX_LIMIT

Limit = Annotated[
    int,
    Parameter(ge=1, le=MAX_LIMIT, description=f"Page size, 1–{MAX_LIMIT} (default {DEFAULT_LIMIT})"),
]
Cursor = Annotated[
    str | None,
    Parameter(max_length=512, description="`next_cursor` from the previous page"),
]
TextQuery = Annotated[
    str | None, Parameter(max_length=200, description="Free text, matched case-insensitively")
]
IncludeArchived = Annotated[bool, Parameter(description="Include archived records")]
IfMatch = Annotated[
    str | None,
    Parameter(
        header="If-Match",
        description="ETag from a previous read; the write fails with 412 if the record changed",
    ),
]
