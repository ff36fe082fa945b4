"""Benchmarks: `python -m bench.<name>`; they print figures and are not tests."""
