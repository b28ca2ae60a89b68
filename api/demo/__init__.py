"""A believable demo portfolio for `pizzabox serve --demo`: the data, and its loader."""

from api.demo.loader import DemoSummary, PortfolioSize, load_demo, portfolio_size

__all__ = ["DemoSummary", "PortfolioSize", "load_demo", "portfolio_size"]
