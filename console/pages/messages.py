"""Messages: query by id, by key, by time range, by queue offset; a message's detail (fields, properties, body as
text / hex / JSON, which groups consumed it, its trace) and "resend to a consumer" (CONSUME_MESSAGE_DIRECTLY)."""
from __future__ import annotations

from urllib.parse import quote, urlencode

from aiohttp import web

from tools.mqadmin.message_cmds import consume_directly
from tools.mqadmin.msgfmt import consume_directly_result

from .. import messages_data as md
from ..web import Done, FormError, change, console_of, field, page

routes = web.RouteTableDef()

MODES = ("id", "key", "time", "offset")


def detail_url(row: md.Row) -> str:
    """Offset ids are read directly wherever they point; that is the link."""
    return f"/messages/{quote(row.offset_id)}"


def _q(request: web.Request, name: str) -> str:
    return request.query.get(name, "").strip()


async def run_query(admin, mode: str, q) -> md.Found:
    """The query a /messages form asks; Invalid / NotFound for what the page shows as an error."""
    topic = q("topic")
    if mode == "id":
        rows = await md.by_id(admin, q("msgId") or _need("msgId"), topic)
        return md.Found(rows, total=len(rows))
    if not topic:
        raise md.Invalid("topic is required")
    if mode == "key":
        return await md.by_key(admin, topic, q("key") or _need("key"))
    if mode == "time":
        begin, end = md.time_range(q("range"), q("begin"), q("end"))
        return await md.by_time(admin, topic, begin, end)
    queue = md.int_value(q("queueId") or "0", "queue id")
    offset = md.int_value(q("offset") or _need("offset"), "offset")
    return await md.by_offset(admin, topic, q("broker"), queue, offset)


def _need(name: str) -> str:
    raise md.Invalid(f"{name} is required")


@routes.get("/messages")
async def messages(request: web.Request) -> web.Response:
    admin = console_of(request).admin
    mode = _q(request, "mode")
    ctx: dict = {"mode": mode if mode in MODES else "id", "q": {k: _q(request, k) for k in (
        "msgId", "topic", "key", "range", "begin", "end", "broker", "queueId", "offset")},
        "found": None, "error": "", "presets": md.PRESETS, "cap": md.ROW_CAP, "detail_url": detail_url}
    status = 200
    if mode in MODES:
        ctx["found"], ctx["error"], status = await md.answered(run_query(admin, mode, lambda k: _q(request, k)))
    elif mode:
        ctx["error"], status = f"unknown query kind {mode!r}", 400
    return page(request, "messages.html", status=status, title="Messages", **ctx)


async def _one(request: web.Request) -> md.Row:
    admin = console_of(request).admin
    rows = await md.by_id(admin, request.match_info["msg_id"], _q(request, "topic"))
    return rows[0]


@routes.get("/messages/{msg_id}")
async def detail(request: web.Request) -> web.Response:
    admin = console_of(request).admin
    view = _q(request, "view") or "text"
    trace_topic = _q(request, "traceTopic") or md.TRACE_TOPIC
    try:
        row = await _one(request)
    except md.Invalid as e:
        return page(request, "message_missing.html", status=400, title="Message", reason=str(e))
    except md.NotFound as e:
        return page(request, "message_missing.html", status=404, title="Message", reason=str(e))
    body = md.body_views(row.msg.decompressed_body())
    if view not in ("text", "hex", "json"):
        view = "text"
    tracks, track_error = await md.tracks(admin, row)
    clients = await md.online_clients(admin, [t.group for t in tracks])
    views, trace_note = await md.trace_views(admin, row.msg_id, trace_topic)
    base = request.path
    extra = {"topic": _q(request, "topic")} if _q(request, "topic") else {}
    tabs = [(v, f"{base}?{urlencode({**extra, 'view': v})}") for v in ("text", "hex", "json")]
    return page(request, "message_detail.html", title=f"Message {row.msg_id}", row=row, body=body, view=view,
                tabs=tabs, fields=md.system_fields(row), props=sorted(row.msg.props.items()), tracks=tracks,
                track_error=track_error, clients=clients, trace=views, trace_note=trace_note,
                trace_topic=trace_topic, request_path=request.path)


@routes.post("/messages/{msg_id}/resend")
@change("resend to a consumer", back=lambda r: f"/messages/{quote(r.match_info['msg_id'])}")
async def resend(request: web.Request, form) -> Done:
    admin = console_of(request).admin
    target = field(form, "target")
    group, sep, client = target.partition(" ")
    if not sep or not client.strip():
        raise FormError("choose a group and one of its online clients")
    try:
        row = await _one(request)
    except (md.Invalid, md.NotFound) as e:
        raise FormError(str(e)) from None
    answer = await consume_directly(admin, group, client.strip(), row.msg)
    result = answer.get("consumeResult")
    return Done(f"{row.offset_id} -> {group} {client.strip()}",
                f"Resent {row.msg_id} to {client.strip()} of {group}: {result} ({consume_directly_result(answer)})",
                f"/messages/{quote(row.offset_id)}")
