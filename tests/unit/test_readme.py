"""The README's status table is generated from the processors' tables; it must be the current one."""
from __future__ import annotations

from tests.support.daemons import ROOT
from tools.status_table import render


def test_readme_status_table_is_current():
    readme = (ROOT / "README.md").read_text()
    assert render() in readme, "run `python -m tools.status_table` and paste it into README.md"
