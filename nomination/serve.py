"""Serving with gunicorn: sync workers, one per core (measured faster than waitress here)."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


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
            "timeout": 60,
        }
    ).run()
