"""conf/prometheus/rules.yml: structure, metric names from docs/metrics.md only, thresholds defined once, PromQL
that parses. Our own checks always run; `promtool check rules` and `promtool test rules`
(tests/unit/prometheus/rules_test.yml: each alert fires at its threshold) run too when promtool is installed
(`make install` takes it from Debian's `prometheus` package into the venv), and a warning says when it is not."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml

from tests.support import promql
from tests.support.daemons import ROOT
from tests.support.metrics_catalogue import known

RULES = ROOT / "conf" / "prometheus" / "rules.yml"
RULES_TEST = ROOT / "tests" / "unit" / "prometheus" / "rules_test.yml"
SEVERITIES = {"warning", "major", "critical"}
RULE_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")


def load_rules() -> list[dict]:
    doc = yaml.safe_load(RULES.read_text())
    assert list(doc) == ["groups"], "a rules file has only `groups`"
    rules = []
    for group in doc["groups"]:
        assert set(group) <= {"name", "interval", "rules", "limit"} and group["name"] and group["rules"], group
        rules.extend(group["rules"])
    return rules


def rule_names(rules: list[dict]) -> tuple[set[str], list[str]]:
    records = {r["record"] for r in rules if "record" in r}
    alerts = [r["alert"] for r in rules if "alert" in r]
    return records, alerts


def promtool() -> str | None:
    beside = Path(sys.executable).parent / "promtool"
    return str(beside) if beside.exists() else shutil.which("promtool")


def test_groups_and_rules_are_well_formed():
    rules = load_rules()
    records, alerts = rule_names(rules)
    assert len(alerts) == len(set(alerts)), "alert names are unique"
    for r in rules:
        assert ("alert" in r) != ("record" in r), r
        assert isinstance(r.get("expr"), str) and r["expr"].strip(), r
        if "record" in r:
            assert set(r) <= {"record", "expr", "labels"} and RULE_NAME.match(r["record"]), r
            continue
        assert set(r) <= {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}, r
        assert re.fullmatch(r"RocketMQ[A-Za-z0-9]+", r["alert"]), r["alert"]
        assert r["labels"]["severity"] in SEVERITIES, r["alert"]
        assert "for" not in r or re.fullmatch(r"\d+[smh]", r["for"]), r["alert"]
        notes = r["annotations"]
        assert notes["summary"].strip() and notes["description"].strip(), r["alert"]
        # the operator must learn where: cluster and the broker, group or scrape target concerned
        where = notes["summary"] + notes["description"]
        assert re.search(r"\$labels\.(node_id|consumer_group|broker|instance)", where), r["alert"]
        assert "$labels.cluster" in where or "$labels.job" in where, r["alert"]
        for text in notes.values():
            assert text.count("{{") == text.count("}}"), r["alert"]


def test_the_brief_s_alerts_are_there():
    _, alerts = rule_names(load_rules())
    by_expr = " ".join(r["expr"] for r in load_rules())
    for name in ("RocketMQConsumerLagMajor", "RocketMQConsumerLagCritical", "RocketMQConsumerLagLatencyMajor",
                 "RocketMQDLQGrowing", "RocketMQDiskUsageWarning", "RocketMQDiskUsageCritical",
                 "RocketMQBrokerGone", "RocketMQExporterDown", "RocketMQReplicationLagMajor",
                 "RocketMQSendLatencyP99Major", "RocketMQFlushBehind", "RocketMQDispatchBehind",
                 "RocketMQMessagesExpiredUnconsumed"):
        assert name in alerts
    # SEND_MESSAGE, SEND_MESSAGE_V2, SEND_BATCH_MESSAGE
    assert re.search(r'request_code=~"10\|310\|320', by_expr)


def test_expressions_name_only_catalogued_metrics():
    rules = load_rules()
    records, _ = rule_names(rules)
    for r in rules:
        for name in promql.metric_names(r["expr"]):
            assert known(name, records | {"up"}), f"{r.get('alert') or r.get('record')}: {name} is not in docs/metrics.md"


def test_thresholds_are_defined_once_and_all_used():
    rules = load_rules()
    thresholds = [r for r in rules if r.get("record", "").startswith("rocketmq:threshold:")]
    names = [r["record"] for r in thresholds]
    assert len(names) == len(set(names)), "each threshold has one place"
    for r in thresholds:
        assert re.fullmatch(r"vector\([0-9.e+]+\)", r["expr"].strip()), r["record"]
        assert r["record"].rsplit(":", 1)[1] in SEVERITIES, r["record"]
    used = {n for r in rules if "alert" in r for n in promql.metric_names(r["expr"])}
    assert set(names) <= used, f"unused thresholds: {set(names) - used}"
    for r in rules:
        if "alert" not in r:
            continue
        for t in promql.metric_names(r["expr"]) & set(names):
            # an alert uses the threshold of its own severity
            assert t.endswith(":" + r["labels"]["severity"]), (r["alert"], t)
            assert f"on() group_left() {t}" in " ".join(r["expr"].split()), r["alert"]


def test_promql_is_syntactically_sane():
    for r in load_rules():
        assert promql.problems(r["expr"]) == [], (r.get("alert") or r.get("record"), r["expr"])


def test_the_checker_catches_typos():
    assert promql.problems('sum(rate(rocketmq_messages_in_total{topic="a"}[5m])') == ["unclosed '('"]
    assert promql.problems('rate(x{topic=="a"}[5m])')
    assert promql.problems('rate(x{topic=~"("}[5m])')
    assert promql.problems("rate(x[5q])") == ["bad range [5q]"]
    assert promql.problems("rat(x[5m])") == ["unknown function rat()"]
    assert promql.problems("x >") == ["binary operator without an operand"]
    assert promql.metric_names('sum by (le) (rate(a_bucket{x="y"}[5m])) > on() group_left() b:c') == {"a_bucket", "b:c"}


@pytest.mark.parametrize("command", [["check", "rules", str(RULES)], ["test", "rules", str(RULES_TEST)]])
def test_promtool(command):
    tool = promtool()
    if tool is None:
        # not a skip: the checks above ran; this says what did not
        warnings.warn(f"promtool not found: `promtool {' '.join(command[:2])}` NOT run, only the parser checks "
                      "(`make install` puts Debian's promtool into .venv/bin where apt-get works)")
        return
    done = subprocess.run([tool, *command], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    print(f"promtool {' '.join(command[:2])}: {done.stdout.strip().splitlines()[-1]}")
