"""conf/grafana/rocketmq-py.json: valid against Grafana's own dashboard JSON schema, laid out without overlaps,
templated by datasource / cluster / node_id / consumer_group / topic, and querying only metrics docs/metrics.md
lists, in PromQL that passes tests/support/promql.py.

The schema, tests/unit/grafana/dashboard.jsonschema.json, is an unmodified copy of `jsonschema/dashboard.jsonschema.json`
from github.com/grafana/grafana-foundation-sdk (branch main at f178d5a4, file last changed in b3d52a7c, 2026-06-12;
Apache-2.0; sha256 67451cd5...4265): the draft-07 schema Grafana's foundation SDK generates from Grafana's CUE
dashboard kind (the classic JSON model that Dashboards > Import takes, schemaVersion 42 at that revision)."""
from __future__ import annotations

import copy
import hashlib
import json
import re

import jsonschema

from tests.support import promql
from tests.support.daemons import ROOT
from tests.support.metrics_catalogue import known

DASHBOARD = ROOT / "conf" / "grafana" / "rocketmq-py.json"
SCHEMA = ROOT / "tests" / "unit" / "grafana" / "dashboard.jsonschema.json"
SCHEMA_SHA256 = "67451cd5b288f97e3f68eccd52ffa4f75151fc87c669b8cd93c051056b294265"
VARIABLES = ["datasource", "cluster", "node_id", "consumer_group", "topic"]
DS = {"type": "prometheus", "uid": "${datasource}"}


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def validator() -> jsonschema.Draft7Validator:
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256, "the vendored schema was changed"
    return jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))


def graph_panels(d: dict) -> list[dict]:
    return [p for p in d["panels"] if p["type"] != "row"]


def queries(d: dict) -> list[str]:
    return [t["expr"] for p in graph_panels(d) for t in p["targets"]]


def test_valid_against_grafana_schema():
    errors = [f"{e.json_path}: {e.message[:300]}" for e in validator().iter_errors(dashboard())]
    assert errors == []


def test_the_schema_rejects_what_grafana_would():
    v = validator()
    d = dashboard()
    bad = copy.deepcopy(d)
    del bad["templating"]
    assert not v.is_valid(bad)
    bad = copy.deepcopy(d)
    graph_panels(bad)[0]["gridPos"] = {"x": 0, "y": 0, "w": 12}
    assert not v.is_valid(bad)
    bad = copy.deepcopy(d)
    bad["templating"]["list"][1]["type"] = "prometheus_query"
    assert not v.is_valid(bad)


def test_import_essentials():
    d = dashboard()
    assert d["title"] and re.fullmatch(r"[a-zA-Z0-9_-]{8,40}", d["uid"])
    assert d["id"] is None, "an exported dashboard leaves id to the importing Grafana"
    assert 36 <= d["schemaVersion"] <= 42, "Grafana 9.x..12.x read it; newer ones migrate it forward"
    ids = [p["id"] for p in d["panels"]]
    assert len(ids) == len(set(ids)) and all(isinstance(i, int) for i in ids)
    for p in graph_panels(d):
        assert p["title"] and p["datasource"] == DS, p["title"]
        assert p["targets"], p["title"]
        refs = [t["refId"] for t in p["targets"]]
        assert len(refs) == len(set(refs)), p["title"]
        for t in p["targets"]:
            assert t["datasource"] == DS and t["expr"].strip(), p["title"]


def test_panels_fit_the_grid_without_overlap():
    taken: set[tuple[int, int]] = set()
    for p in dashboard()["panels"]:
        g = p["gridPos"]
        assert g["w"] > 0 and g["h"] > 0 and 0 <= g["x"] and g["x"] + g["w"] <= 24, p["title"]
        cells = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not cells & taken, f"{p['title']} overlaps another panel"
        taken |= cells


def test_template_variables():
    variables = {v["name"]: v for v in dashboard()["templating"]["list"]}
    assert list(variables) == VARIABLES
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    for name in VARIABLES[1:]:
        v = variables[name]
        assert v["type"] == "query" and v["datasource"] == DS and v["multi"] and v["includeAll"], name
        m = re.fullmatch(r"label_values\((.+), (\w+)\)", v["query"])
        assert m and m.group(2) == name, v["query"]
        assert known(promql.metric_names(m.group(1)).pop()), v["query"]
        assert promql.problems(m.group(1)) == [], v["query"]


def test_the_brief_s_panels_are_there():
    text = " ".join(queries(dashboard()))
    for name in ("rocketmq_messages_in_total", "rocketmq_throughput_in_total", "rocketmq_messages_out_total",
                 "rocketmq_throughput_out_total", "rocketmq_consumer_lag_messages", "rocketmq_consumer_lag_latency",
                 "rocketmq_consumer_inflight_messages", "rocketmq_consumer_ready_messages",
                 "rocketmq_send_to_dlq_messages_total", "rocketmq_storage_disk_ratio",
                 "rocketmq_storage_flush_behind_bytes", "rocketmq_storage_dispatch_behind_bytes",
                 "rocketmq_rpc_latency_bucket", "rocketmq_producer_connections", "rocketmq_consumer_connections",
                 "rocketmq_ha_replication_lag_bytes", "rocketmq_timer_dequeue_lag", "rocketmq_half_messages"):
        assert name in text, name
    assert "histogram_quantile(0.5, sum by (request_code, le)" in text
    assert "histogram_quantile(0.99, sum by (request_code, le)" in text


def test_queries_name_only_catalogued_metrics_and_parse():
    for expr in queries(dashboard()):
        assert promql.problems(expr) == [], expr
        names = promql.metric_names(expr)
        assert names, expr
        for name in names:
            assert known(name), f"{name} is not in docs/metrics.md: {expr}"
