"""Demo data (to be completed)."""

DEMO_USERS: list[tuple[str, str]] = []


def load_demo(session, password: str) -> bool:
    """Load the demo data."""
    raise RuntimeError("demo data not written yet")
