"""Pizzabox: a system of record for products, their teams, and launch readiness."""

__version__ = "0.1.0"
