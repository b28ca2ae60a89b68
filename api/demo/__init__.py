"""A believable demo portfolio for `pizzabox serve --demo`: the data, and its loader."""

from api.demo.loader import (
    DemoSummary,
    PortfolioSize,
    load_demo,
    load_into_empty,
    portfolio_size,
)

__all__ = ["DemoSummary", "PortfolioSize", "load_demo", "load_into_empty", "portfolio_size"]
