"""Benchmarks: `python -m bench.<name>`; each writes only to a temporary directory."""
