"""Serving with gunicorn: sync workers, one per core (measured faster than waitress here)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

if TYPE_CHECKING:
    # The stub's name for what Logger.atoms returns (it exists for the type checker only).
    from gunicorn.glogging import _AtomsDict

#: Path segments that are secrets of their holder (an objector's reference number).
_SECRET_SEGMENT = re.compile(r"(/objections/)[^/?]+")


class RedactingLogger(Logger):
    """Gunicorn's logger, with objection references masked in the access log."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> _AtomsDict:
        """Return the access-log fields with secret path segments replaced by ***."""
        atoms = super().atoms(resp, req, environ, request_time)
        # The path (None when the request had no PATH_INFO) and the request line.
        if (path := atoms.get("U")) is not None:
            atoms["U"] = _SECRET_SEGMENT.sub(r"\1***", path)
        if "r" in atoms:
            atoms["r"] = _SECRET_SEGMENT.sub(r"\1***", atoms["r"])
        return atoms


class _Server(BaseApplication):
    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Each worker builds its own app (and engine) after the fork: no shared connections.
        from nomination import create_app

        return create_app()


def run(host: str, port: int, workers: int) -> None:
    """Serve on ``host:port`` until interrupted."""
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "sync",
            "accesslog": "-",
            # Query strings can carry references; log the path only.
            "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
            "logger_class": "nomination.serve.RedactingLogger",
            "timeout": 60,
        }
    ).run()
