"""Topics: the list (filter by name and kind), create/update (what `mqadmin updateTopic -c/-b` does), delete
(`mqadmin deleteTopic -c`: the masters, then the NameServers), and one topic's route, queue offsets, consumers
and config."""
from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from tools.mqadmin.export_cmds import MAX_TOPIC_LEN, TOPIC_NAME
from tools.mqadmin.topic_cmds import apply_topic, delete_known_topic

from .. import topics_data as td
from ..web import Done, FormError, change, console_of, field, int_field, page

routes = web.RouteTableDef()
KINDS = ("system", "retry", "dlq")       # shown only when asked (?system=1 ...); normal topics always


def topic_name(form, name: str = "topic") -> str:
    """A topic name as TopicValidator accepts it."""
    t = field(form, name)
    if len(t) > MAX_TOPIC_LEN or not TOPIC_NAME.match(t):
        raise FormError(f"topic name {t!r} is not valid: at most {MAX_TOPIC_LEN} characters of letters, digits, "
                        f"'%', '|', '_' and '-'")
    return t


def target_of(form) -> tuple[str | None, str | None]:
    """The form's `target`: "cluster:NAME" or "broker:ADDR" (updateTopic's -c / -b)."""
    raw = field(form, "target")
    kind, _, value = raw.partition(":")
    if kind not in ("cluster", "broker") or not value:
        raise FormError(f"target must be a cluster or a broker, not {raw!r}")
    return (value, None) if kind == "broker" else (None, value)


def topic_config(form, name: str) -> dict:
    perm = field(form, "perm", "RW")
    if perm not in td.PERMS:
        raise FormError(f"perm must be one of {', '.join(td.PERMS)}, not {perm!r}")
    return {"topicName": name, "readQueueNums": int_field(form, "readQueueNums", 8, 1, 1024),
            "writeQueueNums": int_field(form, "writeQueueNums", 8, 1, 1024), "perm": td.PERMS[perm],
            "topicFilterType": "SINGLE_TAG", "topicSysFlag": 0, "order": form.get("order") in ("on", "true", "1")}


@routes.get("/topics")
async def topics(request: web.Request) -> web.Response:
    admin = console_of(request).admin
    q = request.query.get("q", "").strip()
    shown = {k for k in KINDS if request.query.get(k) == "1"}
    data = await td.topic_list(admin, q, frozenset({"normal", *shown}))
    ms = await td.masters(admin)
    return page(request, "topics.html", title="Topics", data=data, q=q, shown=shown, kinds=KINDS,
                masters=ms, clusters=sorted({m.cluster for m in ms}), perms=list(td.PERMS), edit=None)


@routes.post("/topics/update")
@change("update topic", "/topics")
async def update(request: web.Request, form) -> Done:
    name = topic_name(form)
    addr, cluster = target_of(form)
    tc = topic_config(form, name)
    done = await apply_topic(td.ctx_of(console_of(request).admin), tc, addr, cluster, say=lambda s: None)
    where = f"broker {addr}" if addr else f"cluster {cluster} ({len(done)} master(s))"
    return Done(name, f"Topic {name} created/updated on {where}: read {tc['readQueueNums']}, write "
                      f"{tc['writeQueueNums']}, perm {form.get('perm') or 'RW'}, order {str(tc['order']).lower()}.",
                "/topics?q=" + quote(name))


@routes.post("/topics/delete")
@change("delete topic", "/topics")
async def delete(request: web.Request, form) -> Done:
    name = field(form, "topic")
    cluster = field(form, "cluster")
    await delete_known_topic(td.ctx_of(console_of(request).admin), cluster, name, say=lambda s: None)
    return Done(name, f"Topic {name} deleted from cluster {cluster} (its masters and the NameServer).", "/topics")


@routes.get("/topics/{topic}")
async def detail(request: web.Request) -> web.Response:
    name = request.match_info["topic"]
    admin = console_of(request).admin
    try:
        d = await td.topic_detail(admin, name)
    except td.NoSuchTopic as e:
        return page(request, "topic_missing.html", status=404, title="No such topic", reason=str(e))
    ms = await td.masters(admin)
    return page(request, "topic_detail.html", title=f"Topic {name}", d=d, masters=ms,
                clusters=sorted({m.cluster for m in ms}), perms=list(td.PERMS))
