"""Exports of the directory to other data models (pure functions, no I/O but reading reference files)."""
