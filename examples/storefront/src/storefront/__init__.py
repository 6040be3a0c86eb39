"""storefront: a small online shop API built the way a team would ship it to production."""

__all__ = ["__version__"]

__version__ = "0.1.0"
