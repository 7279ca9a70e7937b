"""Objections (异议) to a nominee on public notice: filing, following, concluding."""
