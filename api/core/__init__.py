"""The core: what every domain shares, and nothing about any one of them."""
