"""The test client: each request gets a fresh ``g``, as on a real server."""

from __future__ import annotations

from typing import Any

from flask.globals import _cv_app
from flask.testing import FlaskClient


class WebClient(FlaskClient):
    """A test client that gives each request a fresh ``g``, as a real server does.

    The ``session`` fixture keeps one application context open for the whole test (so that the
    test's objects stay attached to its session) and Flask reuses it for every request. Without
    a fresh ``g``, Flask-Login's current user, Babel's locale and Flask-WTF's CSRF token would
    carry over from one request, or one client, to the next.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        """Run the request with its own ``g``."""
        ctx = _cv_app.get(None)
        if ctx is None:
            return super().open(*args, **kwargs)
        saved = ctx.g
        ctx.g = self.application.app_ctx_globals_class()
        try:
            return super().open(*args, **kwargs)
        finally:
            ctx.g = saved
