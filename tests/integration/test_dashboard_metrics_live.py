"""The dashboard and the alert rules against the real exporters: a NameServer and a Broker started with
metricsExporterType=PROM are scraped over HTTP, and every metric any dashboard query or rules.yml expression names
must be a family one of them declares (`# TYPE` lines, which the exporter prints before a family has samples)."""
from __future__ import annotations

import json
import urllib.request

import yaml

from tests.support import promql
from tests.support.daemons import ROOT, BrokerProcess, NamesrvProcess, free_port
from tests.support.metrics_catalogue import family_of

DASHBOARD = ROOT / "conf" / "grafana" / "rocketmq-py.json"
RULES = ROOT / "conf" / "prometheus" / "rules.yml"


def exported_families(port: int) -> set[str]:
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert resp.status == 200
            assert resp.headers.get("Content-Type", "").startswith("text/plain")
            text = resp.read().decode()
    except OSError as e:
        raise AssertionError(f"no Prometheus exporter at {url} ({e}): is the metrics exporter (issue 14) in?")
    families = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            families.add(line.split()[2])
    return families


def used_names() -> dict[str, str]:
    """Metric name -> where it is used, over the dashboard's queries and variables and the rules' expressions."""
    used: dict[str, str] = {}
    dash = json.loads(DASHBOARD.read_text())
    exprs = [(p["title"], t["expr"]) for p in dash["panels"] if p["type"] != "row" for t in p["targets"]]
    exprs += [(f"${v['name']}", v["query"].removeprefix("label_values(").rsplit(",", 1)[0])
              for v in dash["templating"]["list"] if v["type"] == "query"]
    rules = [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]
    records = {r["record"] for r in rules if "record" in r}
    exprs += [(r.get("alert") or r["record"], r["expr"]) for r in rules]
    for where, expr in exprs:
        for name in promql.metric_names(expr) - records - {"up"}:
            used.setdefault(name, where)
    return used


def test_every_metric_the_dashboard_and_rules_use_is_exported(tmp_path):
    ns_port, broker_port = free_port(), free_port()
    metrics = {"metricsExporterType": "PROM", "metricsPromExporterHost": "127.0.0.1"}
    with NamesrvProcess(tmp_path / "namesrv", metricsPromExporterPort=ns_port, **metrics) as ns, \
            BrokerProcess(tmp_path / "broker", ns.addr, metricsPromExporterPort=broker_port, **metrics):
        namesrv_families = exported_families(ns_port)
        broker_families = exported_families(broker_port)
    assert "rocketmq_namesrv_broker_alive" in namesrv_families
    assert "rocketmq_messages_in_total" in broker_families
    exported = namesrv_families | broker_families
    missing = {name: where for name, where in used_names().items() if family_of(name) not in exported}
    assert missing == {}, f"used but not exported (name: first use): {missing}"
