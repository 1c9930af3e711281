"""Datasets: the demo world and adapters that map real exports into the cxlab data model."""

from cxlab.datasets.demo import demo_path, load_demo

__all__ = ["demo_path", "load_demo"]
