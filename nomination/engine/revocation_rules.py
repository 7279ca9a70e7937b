"""Guards and effects of the revocation workflow (workflows/revocation.toml)."""

from __future__ import annotations
