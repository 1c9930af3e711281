"""The demo world shipped in ``data/demo/`` (regenerate with ``make demo-data``)."""

from __future__ import annotations

from pathlib import Path

from cxlab.io import CXData, load

__all__ = ["demo_path", "load_demo"]


def demo_path() -> Path:
    """Return the folder of the shipped demo world (``data/demo`` at the project root)."""
    return Path(__file__).resolve().parents[2] / "data" / "demo"


def load_demo(**kwargs) -> CXData:
    """Load the demo world: a simulated B2B service company, ~20,000 customers, 2021-01 to 2026-09.

    Tables: customers, revenue, surveys, cases (see :mod:`cxlab.schema`); ``truth`` holds the
    generator's ground truth (see :mod:`cxlab.synth`).

    Parameters
    ----------
    **kwargs
        Passed to :func:`cxlab.io.load` (e.g. ``as_of``).

    Returns
    -------
    CXData

    Examples
    --------
    >>> data = load_demo()
    >>> len(data.customers) > 10_000
    True
    """
    return load(demo_path(), **kwargs)
