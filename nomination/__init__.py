"""nomination: a workflow engine for award nominations."""

from nomination.app import create_app

__all__ = ["create_app"]
