"""Look-ups by identifier (cxlab.identifiers) against pandas' own joins."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlab.identifiers import as_text_ids, attributes_of, positions
from cxlab.snapshot import ARROW_TEXT


def _tables(seed: int = 0):
    rng = np.random.default_rng(seed)
    customers = pd.DataFrame({
        "customer_id": [f"C{i:05d}" for i in rng.permutation(5000)],
        "segment": rng.choice(["SMB", "Enterprise", None], 5000),
        "seats": rng.integers(1, 500, 5000),
        "acquired_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, 5000), unit="D"),
        "revenue": rng.gamma(2.0, 100.0, 5000),
    })
    ids = pd.Series([f"C{i:05d}" for i in rng.integers(0, 5400, 20_000)])  # about 7% unknown, many repeats
    return customers, ids


def test_positions_in_arrow_equal_those_of_a_pandas_index():
    customers, ids = _tables()
    expected = pd.Index(customers["customer_id"]).get_indexer(ids)
    assert (expected == -1).sum() > 1000
    np.testing.assert_array_equal(positions(ids, customers["customer_id"]), expected)
    arrow = positions(ids.astype(ARROW_TEXT), customers["customer_id"].astype(ARROW_TEXT))
    np.testing.assert_array_equal(arrow, expected)


def test_attributes_equal_a_left_merge_for_python_and_arrow_text():
    customers, ids = _tables(1)
    columns = ["segment", "seats", "acquired_at", "revenue"]
    merged = pd.DataFrame({"customer_id": ids}).merge(customers, on="customer_id", how="left")
    for table, keys in ((customers, ids), (customers.astype({"customer_id": ARROW_TEXT, "segment": ARROW_TEXT}),
                                           ids.astype(ARROW_TEXT))):
        found = pd.DataFrame(attributes_of(keys, table, columns))
        for column in columns:
            left, right = found[column], merged[column]
            if column == "segment":  # missing text: None or NaN alike
                left, right = (part.astype(object).where(part.notna(), np.nan) for part in (left, right))
            pd.testing.assert_series_equal(left, right, check_names=False, check_dtype=column != "segment")
        assert found["seats"].dtype == float and found["acquired_at"].dtype == "datetime64[ns]"


def test_text_ids_stay_as_they_are_and_numbers_become_text():
    arrow = pd.Series(["a", "b"], dtype=ARROW_TEXT)
    assert as_text_ids(arrow) is arrow
    assert as_text_ids(pd.Series([7, 8])).tolist() == ["7", "8"]
