"""Every permission predicate and list scope, in one place."""
