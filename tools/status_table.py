"""Generate the README's table of supported request codes from the processors' own tables, so it stays
honest: `python -m tools.status_table` prints it; a test checks README.md carries the current one."""
from __future__ import annotations

import sys

from remoting.codes import RequestCode

BEGIN = "<!-- status-table:begin -->"
END = "<!-- status-table:end -->"

# Codes each Java 4.9.7 daemon answers (codes.md); a row per code with where we stand.
NAMESRV_CODES = [
    RequestCode.PUT_KV_CONFIG, RequestCode.GET_KV_CONFIG, RequestCode.DELETE_KV_CONFIG,
    RequestCode.REGISTER_BROKER, RequestCode.UNREGISTER_BROKER, RequestCode.GET_ROUTEINFO_BY_TOPIC,
    RequestCode.GET_BROKER_CLUSTER_INFO, RequestCode.WIPE_WRITE_PERM_OF_BROKER,
    RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, RequestCode.DELETE_TOPIC_IN_NAMESRV,
    RequestCode.GET_KVLIST_BY_NAMESPACE, RequestCode.GET_TOPICS_BY_CLUSTER,
    RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS, RequestCode.GET_UNIT_TOPIC_LIST,
    RequestCode.GET_HAS_UNIT_SUB_TOPIC_LIST, RequestCode.GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST,
    RequestCode.UPDATE_NAMESRV_CONFIG, RequestCode.GET_NAMESRV_CONFIG, RequestCode.QUERY_DATA_VERSION,
    RequestCode.ADD_WRITE_PERM_OF_BROKER,
]


def supported_namesrv_codes() -> set[int]:
    from namesrv.config import NamesrvConfig, NamesrvConfiguration, default_server_config
    from namesrv.kv_config import KVConfig
    from namesrv.processor import NamesrvProcessor
    from namesrv.route_info import RouteInfo
    cfg = NamesrvConfiguration(NamesrvConfig(), default_server_config())
    return set(NamesrvProcessor(RouteInfo(), KVConfig("/nonexistent"), cfg).table())


# Codes a 4.9.7 broker answers (codes.md section 1, handler column not "-").
BROKER_CODES = [
    10, 11, 12, 14, 15, 17, 21, 25, 26, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 41, 42, 43, 45, 46, 50, 51, 52,
    53, 54, 200, 201, 202, 203, 204, 207, 208, 215, 222, 223, 300, 303, 305, 306, 307, 308, 309, 310, 314, 315,
    316, 317, 320, 321, 323, 324, 325, 328, 329,
]


def supported_broker_codes() -> set[int]:
    import tempfile

    from broker.config import load_settings
    from broker.controller import Broker
    with tempfile.TemporaryDirectory() as tmp:
        settings, _ = load_settings(None, overrides={"storePathRootDir": tmp, "brokerName": "b"})
        return set(Broker(settings).dispatcher.codes())


def render() -> str:
    ns = supported_namesrv_codes()
    br = supported_broker_codes()
    rows = ["| code | name | daemon | status |", "|---:|---|---|---|"]
    for code in sorted(NAMESRV_CODES):
        rows.append(f"| {int(code)} | {code.name} | namesrv | {'supported' if code in ns else 'not yet'} |")
    for code in BROKER_CODES:
        name = RequestCode(code).name
        rows.append(f"| {code} | {name} | broker | {'supported' if code in br else 'not yet'} |")
    return "\n".join([BEGIN, *rows, END])


def write_readme(path: str = "README.md") -> None:
    """Replace the table between the markers in README.md."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text[:start] + render() + text[end:])


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write_readme()
    else:
        sys.stdout.write(render() + "\n")
