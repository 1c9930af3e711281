"""The pandera schemas of cxlab.schema are built on first use: a report kernel never imports pandera."""

from __future__ import annotations

import json
import subprocess
import sys

import pandera.pandas as pa
import pytest

from cxlab import schema


def test_report_pages_import_without_pandera():
    # every module of cxlab.sections (the report notebooks' code), in a fresh interpreter
    code = ("import importlib, json, pkgutil, sys\n"
            "import cxlab.sections as sections\n"
            "for module in pkgutil.iter_modules(sections.__path__, 'cxlab.sections.'):\n"
            "    importlib.import_module(module.name)\n"
            "import cxlab.engine, cxlab.io, cxlab.schema\n"
            "print(json.dumps({package: sorted(m for m in sys.modules if m.startswith(package))\n"
            "                  for package in ('cxlab.sections.', 'pandera')}))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    loaded = json.loads(done.stdout)
    assert {"cxlab.sections.context", "cxlab.sections.loop", "cxlab.sections.voice"} <= set(loaded["cxlab.sections."])
    assert loaded["pandera"] == []


def test_schemas_are_pandera_schemas_built_once():
    assert isinstance(schema.CUSTOMERS, pa.DataFrameSchema)
    assert schema.SCHEMAS["customers"] is schema.CUSTOMERS
    assert schema.SCHEMAS["cases"] is schema.CASES
    assert schema.SCHEMAS["surveys"].columns["nps"].checks[0].statistics == {
        "min_value": 0, "max_value": 10, "include_min": True, "include_max": True}
    assert schema.REVENUE.unique == ["customer_id", "month"]
    from cxlab.schema import OPTIONAL_COLUMNS, SURVEYS

    assert SURVEYS is schema.SCHEMAS["surveys"]
    assert list(OPTIONAL_COLUMNS["cases"]) == ["reason"]
    assert schema.required_columns("revenue") == ["customer_id", "month", "amount"]


def test_an_unknown_attribute_is_still_an_error():
    with pytest.raises(AttributeError, match="CUSTOMER"):
        schema.CUSTOMER  # noqa: B018
