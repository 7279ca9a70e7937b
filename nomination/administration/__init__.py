"""Administration: the first start, and (to come) organisations, people and campaigns."""
