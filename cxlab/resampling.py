"""The bootstrap over customers, drawn on distinct customer profiles instead of on rows.

One job: the draw counts of a bootstrap that resamples ``n`` customers with replacement. When
the statistic needs only sums of per-customer contributions (life-table counts, kernel-weighted
sums), customers with identical contributions (the same *profile*) are interchangeable, and the
number of draws that fall on each profile is multinomial with the profiles' shares as
probabilities. Drawing those counts directly costs one draw per profile, not per customer, and
never builds a (resamples x customers) weight matrix. When profiles are nearly as many as
customers (a continuous value per customer), customers are drawn one by one instead; both ways
sample from the same distribution.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = ["BATCH_BYTES", "profile_draw_counts"]

BATCH_BYTES = 256 * 2**20  # the most memory one batch of draw counts takes


def profile_draw_counts(profile: np.ndarray, n_resamples: int, seed: int, *, batch: int = 50,
                        batch_bytes: int = BATCH_BYTES) -> Iterator[np.ndarray]:
    """Draw counts per profile of a bootstrap over customers, in batches of resamples.

    The counts come as floats, so that products with per-profile values run in BLAS. A batch holds
    at most ``batch`` resamples and, when the profiles are many, no more than ``batch_bytes`` of
    counts (at least one resample): with millions of profiles, 50 resamples of counts took
    gigabytes. The draws do not depend on how they are batched.

    Parameters
    ----------
    profile : numpy.ndarray
        Profile code ``0 .. k-1`` of each customer (e.g. :func:`cxlab.patterns.identical_rows`).
    n_resamples : int
        Bootstrap resamples.
    seed : int
        Seed of the draws.
    batch : int
        Most resamples per yielded array.
    batch_bytes : int
        Most bytes of counts per yielded array.

    Yields
    ------
    numpy.ndarray
        (resamples in the batch, k) draw counts as floats; each row sums to the number of customers.

    Examples
    --------
    >>> counts = np.vstack(list(profile_draw_counts(np.array([0, 0, 1, 2, 2, 2]), 4, seed=1)))
    >>> counts.shape, counts.sum(axis=1).tolist()
    ((4, 3), [6.0, 6.0, 6.0, 6.0])
    """
    n_customers = len(profile)
    sizes = np.bincount(profile)
    rng = np.random.default_rng(seed)
    batch = max(1, min(batch, batch_bytes // (8 * max(len(sizes), 1))))
    for start in range(0, n_resamples, batch):
        rows = min(batch, n_resamples - start)
        if 8 * len(sizes) <= n_customers:
            yield rng.multinomial(n_customers, sizes / n_customers, size=rows).astype(float)
        else:
            counts = np.empty((rows, len(sizes)))
            for row in counts:  # each resample's counts written in place: no list of arrays to stack and convert
                row[:] = np.bincount(profile[rng.integers(0, n_customers, n_customers)], minlength=len(sizes))
            yield counts
