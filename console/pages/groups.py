"""Consumer groups: the list (lag, TPS, online, filter), create/update (what `mqadmin updateSubGroup` does) and
delete (`deleteSubGroup`), and one group's progress, clients, running info and a reset of its offsets by time
(`resetOffsetByTime -g -t -s`)."""
from __future__ import annotations

import datetime as dt
import time
from urllib.parse import quote

from aiohttp import web

from tools.mqadmin.cli import CommandError
from tools.mqadmin.consumer_cmds import reset_by_time, reset_timestamp
from tools.mqadmin.export_cmds import GROUP_NAME
from tools.mqadmin.group_cmds import apply_group, delete_group, group_config

from .. import groups_data as gd
from .. import results
from ..topics_data import ctx_of, masters
from ..web import Done, FormError, change, console_of, field, int_field, page, session_of
from .topics import target_of, topic_name

routes = web.RouteTableDef()
FLAGS = ("consumeEnable", "consumeFromMinEnable", "consumeBroadcastEnable", "notifyConsumerIdsChangedEnable")


def group_name(form) -> str:
    g = field(form, "group")
    if len(g) > 255 or not GROUP_NAME.match(g):
        raise FormError(f"group name {g!r} is not valid: letters, digits, '%', '|', '_' and '-' only")
    return g


def checked(form, name: str) -> bool:
    return form.get(name) in ("on", "true", "1")


def page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


@routes.get("/groups")
async def groups(request: web.Request) -> web.Response:
    admin = console_of(request).admin
    q = request.query.get("q", "").strip()
    system = request.query.get("system") == "1"
    history = console_of(request).history
    recent = history.recent_lags() if history is not None else None
    data = await gd.group_list(admin, q, system, page_number(request.query.get("page")), recent)
    ms = await masters(admin)
    lag_note = (f"Lag and TPS as sampled for the charts (every {history.interval_s:g} s); a group's own page "
                f"shows its live progress." if recent is not None else "")
    return page(request, "groups.html", title="Consumer groups", data=data, q=q, system=system, masters=ms,
                lag_note=lag_note,
                clusters=sorted({m.cluster for m in ms}), cfg=group_config({"groupName": "",
                                                                          "consumeBroadcastEnable": False,
                                                                          "consumeFromMinEnable": False}))


@routes.post("/groups/update")
@change("update consumer group", "/groups")
async def update(request: web.Request, form) -> Done:
    name = group_name(form)
    addr, cluster = target_of(form)
    cfg = group_config({"groupName": name})
    for k in FLAGS:
        cfg[k] = checked(form, k)
    cfg["retryQueueNums"] = int_field(form, "retryQueueNums", 1, 0, 64)
    cfg["retryMaxTimes"] = int_field(form, "retryMaxTimes", 16, -1, 1000)
    cfg["brokerId"] = int_field(form, "brokerId", 0, 0, 1024)
    cfg["whichBrokerWhenConsumeSlowly"] = int_field(form, "whichBrokerWhenConsumeSlowly", 1, 0, 1024)
    failed = await apply_group(ctx_of(console_of(request).admin), cfg, addr, cluster,
                               say=lambda s: None, warn=lambda s: None)
    if failed:
        raise FormError(f"not created on {', '.join(failed)}")
    where = f"broker {addr}" if addr else f"cluster {cluster}"
    return Done(name, f"Consumer group {name} created/updated on {where}.", "/groups?q=" + quote(name))


@routes.post("/groups/delete")
@change("delete consumer group", "/groups")
async def delete(request: web.Request, form) -> Done:
    name = group_name(form)
    addr, cluster = target_of(form)
    await delete_group(ctx_of(console_of(request).admin), name, addr, cluster, checked(form, "removeOffset"),
                       say=lambda s: None, warn=lambda s: None)
    where = f"broker {addr}" if addr else f"cluster {cluster} (with its retry and DLQ topics)"
    return Done(name, f"Consumer group {name} deleted from {where}.", "/groups")


def reset_time(raw: str) -> int:
    """The form's time: a browser's datetime-local (local time), or what resetOffsetByTime -s takes."""
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return int(time.mktime(dt.datetime.strptime(raw, fmt).timetuple())) * 1000
        except ValueError:
            pass
    try:
        return reset_timestamp(raw)
    except CommandError:
        raise FormError(f"time {raw!r} is not a date and time, 'now', milliseconds or "
                        f"yyyy-MM-dd#HH:mm:ss:SSS") from None


@routes.post("/groups/{group}/reset")
@change("reset consumer offsets", lambda r: f"/groups/{quote(r.match_info['group'])}")
async def reset(request: web.Request, form) -> Done:
    group = request.match_info["group"]
    topic = topic_name(form)
    ts = reset_time(field(form, "timestamp"))
    force = checked(form, "force")
    table, rows = await reset_by_time(console_of(request).admin, group, topic, ts, force, checked(form, "cplus"))
    shown = ([{"broker": mq.broker_name, "qid": mq.queue_id, "offset": off} for mq, off in sorted(table.items())]
             if rows is None else
             [{"broker": r["brokerName"], "qid": r["queueId"], "offset": r["rollbackOffset"],
               "was": r["consumerOffset"]} for r in rows])
    results.keep(session_of(request), f"reset:{group}", {"topic": topic, "ts": ts, "old_path": rows is not None,
                                                         "rows": shown})
    how = ("no consumer online: offsets written on the brokers" if rows is not None
           else "the brokers reset the offsets and told the online consumers")
    return Done(f"{group} {topic}", f"Offsets of {group} on {topic} reset to {ts} ({how}): {len(shown)} queue(s).",
                f"/groups/{quote(group)}")


@routes.get("/groups/{group}/clients/{client_id}")
async def client_running(request: web.Request) -> web.Response:
    group, client_id = request.match_info["group"], request.match_info["client_id"]
    c = await gd.client_running(console_of(request).admin, group, client_id)
    return page(request, "client_running.html", title=f"Running info of {client_id}", c=c, group=group)


@routes.get("/groups/{group}")
async def detail(request: web.Request) -> web.Response:
    name = request.match_info["group"]
    admin = console_of(request).admin
    try:
        d = await gd.group_detail(admin, name)
    except gd.NoSuchGroup as e:
        return page(request, "topic_missing.html", status=404, title="No such consumer group", reason=str(e),
                    back="/groups")
    ms = await masters(admin)
    return page(request, "group_detail.html", title=f"Consumer group {name}", d=d, masters=ms,
                clusters=sorted({m.cluster for m in ms}),
                reset=results.take(session_of(request), f"reset:{name}"),
                now_local=time.strftime("%Y-%m-%dT%H:%M"))
