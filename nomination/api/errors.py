"""The API's answer to an operation's refusal, registered on the API blueprint.

API views raise ``OperationError``s (theirs or the operations') and never catch them: each one
becomes the API's error shape, ``{"error": {"code", "message", "fields", ...}}``, with the
status its class names (``nomination/errors.py``). HTTP errors, and paths outside every route,
get the same shape from ``web/errors.py``.
"""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from nomination.errors import OperationError, OutOfScope, PermissionDenied
from nomination.web.errors import audit_denial, json_error


def operation_error(exc: OperationError) -> ResponseReturnValue:
    """Answer a refusal with its status and JSON error; nothing of the request is kept.

    The request boundary rolls back a 4xx; a refused authorisation is audited in a
    transaction of its own.
    """
    if isinstance(exc, PermissionDenied | OutOfScope):
        audit_denial(exc.message)
    return json_error(exc.status, exc.code, exc.message, exc.fields, **exc.extra)
