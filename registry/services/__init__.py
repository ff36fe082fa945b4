"""Use cases of the registry. They take the session keyword-only, flush, and never commit."""
