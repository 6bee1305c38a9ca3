"""Scraping a daemon's /metrics as Prometheus does (a real HTTP GET), parsed with prometheus-client's parser."""
from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families


class Scrape:
    """One scrape: samples by name, each a (labels dict, value) list."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            assert resp.status == 200
            self.content_type = resp.headers.get("Content-Type", "")
            self.text = resp.read().decode()
        self.families = {f.name: f for f in text_string_to_metric_families(self.text)}
        self.samples: dict[str, list[tuple[dict, float]]] = {}
        for fam in self.families.values():
            for s in fam.samples:
                self.samples.setdefault(s.name, []).append((s.labels, s.value))

    def value(self, name: str, **labels: str) -> float:
        """The sum of the samples of `name` whose labels include `labels` (0 when none)."""
        return sum(v for lab, v in self.samples.get(name, []) if all(lab.get(k) == x for k, x in labels.items()))

    def series(self, name: str) -> list[dict]:
        return [lab for lab, _ in self.samples.get(name, [])]
