"""cxlab: a research workbench for customer-experience analytics."""

__version__ = "0.1.0"
