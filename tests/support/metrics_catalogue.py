"""docs/metrics.md read as data: the metric names the exporter promises, for checking what the rules and the
dashboard query (the catalogue is the contract: a query naming anything else would show nothing)."""
from __future__ import annotations

import re

from tests.support.daemons import ROOT

CATALOGUE = ROOT / "docs" / "metrics.md"
# the table rows' first two cells: `name` (or `a` / `b`, `a_*`, `b_*`) and the type (empty for the wildcards)
_ROW = re.compile(r"^\|\s*((?:`[a-z_*]+`\s*[/,]?\s*)+)\|\s*(counter|gauge|histogram|)\s*\|")
# what prometheus-client adds to a histogram's family name
HISTOGRAM_SERIES = ("_bucket", "_sum", "_count")


def catalogue() -> dict[str, str]:
    """Family name -> type, from every table row of docs/metrics.md (wildcard rows like `process_*` included)."""
    out: dict[str, str] = {}
    for line in CATALOGUE.read_text().splitlines():
        m = _ROW.match(line)
        if m:
            for name in re.findall(r"`([a-z_*]+)`", m.group(1)):
                out[name] = m.group(2)
    return out


def series_names() -> set[str]:
    """Every name a query may use: gauges and counters as catalogued, histograms with their three series."""
    names: set[str] = set()
    for family, kind in catalogue().items():
        names.add(family)
        if kind == "histogram":
            names.update(family + s for s in HISTOGRAM_SERIES)
    return names


def known(name: str, extra: set[str] = frozenset()) -> bool:
    if name in extra or name in series_names():
        return True
    return any(p.endswith("*") and name.startswith(p[:-1]) for p in catalogue())


def family_of(name: str) -> str:
    """The family an exporter's `# TYPE` line names for a series name (histogram suffixes stripped)."""
    kinds = catalogue()
    for s in HISTOGRAM_SERIES:
        if name.endswith(s) and kinds.get(name[: -len(s)]) == "histogram":
            return name[: -len(s)]
    return name
