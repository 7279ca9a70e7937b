"""Guards and effects of the annual verification workflow (workflows/verification.toml)."""

from __future__ import annotations
