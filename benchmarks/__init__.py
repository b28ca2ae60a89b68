"""Bare apps, floors and load for `scripts/bench.py`: what Pizzabox is measured against."""
