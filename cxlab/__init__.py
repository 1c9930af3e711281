"""cxlab: a research workbench for customer-experience analytics."""

__all__ = ["__version__"]

__version__ = "0.1.0"
