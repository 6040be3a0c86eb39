"""golive: measure, with evidence, whether a service is ready for production."""

__version__ = "0.1.0"

__all__ = ["__version__"]
