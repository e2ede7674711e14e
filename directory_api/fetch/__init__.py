"""`directory fetch`: the current data of every source from its publisher (see runner.py)."""
