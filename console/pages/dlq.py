"""Dead letters: a group's %DLQ%<group> topic listed by time range or found by id, a selection resent to the
group's retry topic (each resend audited), the listed dead letters exported as CSV or JSON."""
from __future__ import annotations

import asyncio
import time

from aiohttp import web

from tools.mqadmin import mqclient as mc
from tools.mqadmin.client import AdminError, subscription_groups

from .. import messages_data as md
from ..web import Done, FormError, change, client_addr, console_of, field, page, session_of
from .messages import detail_url

routes = web.RouteTableDef()


def _q(request: web.Request, name: str) -> str:
    return request.query.get(name, "").strip()


async def _list(request: web.Request) -> md.Found:
    """The dead letters the query string asks for (Invalid / NotFound when it cannot)."""
    admin = console_of(request).admin
    group = _q(request, "group")
    if not group:
        raise md.Invalid("choose a consumer group")
    topic = md.dlq_topic(group)
    msg_id = _q(request, "msgId")
    try:
        if msg_id:
            rows = await md.by_id(admin, msg_id, topic)
            rows = [r for r in rows if r.msg.topic == topic]
            if not rows:
                raise md.NotFound(f"message {msg_id} is not a dead letter of {group}")
            return md.Found(rows, total=len(rows))
        begin, end = md.time_range(_q(request, "range") or "1h", _q(request, "begin"), _q(request, "end"))
        return await md.by_time(admin, topic, begin, end)
    except md.NotFound as e:
        if f"topic {topic} does not exist" in str(e):
            return md.Found(note=f"group {group} has no dead letters ({topic} does not exist)")
        raise


@routes.get("/dlq")
async def dlq(request: web.Request) -> web.Response:
    q = {k: _q(request, k) for k in ("group", "msgId", "range", "begin", "end")}
    ctx: dict = {"q": q, "found": None, "error": "", "presets": md.PRESETS, "detail_url": detail_url,
                 "query": request.query_string}
    status = 200
    if q["group"]:
        ctx["found"], ctx["error"], status = await md.answered(_list(request))
    groups = await _groups(request)
    return page(request, "dlq.html", status=status, title="Dead letters", groups=groups, **ctx)


async def _groups(request: web.Request) -> list[str]:
    """Every subscription group of the masters (one GET_ALL_SUBSCRIPTIONGROUP_CONFIG per broker, concurrently),
    offered by the group chooser; a broker that does not answer leaves its groups out."""
    admin = console_of(request).admin
    info = await admin.cluster_info()
    addrs = [bd.brokerAddrs[0] for bd in info.brokerAddrTable.values() if 0 in bd.brokerAddrs]
    found = await asyncio.gather(*(subscription_groups(admin, a) for a in addrs), return_exceptions=True)
    return sorted({g for f in found if isinstance(f, dict) for g in f})


@routes.get("/dlq/export.{fmt:csv|json}")
async def export(request: web.Request) -> web.Response:
    fmt = request.match_info["fmt"]
    try:
        found = await _list(request)
    except (md.Invalid, md.NotFound) as e:
        return web.Response(status=400, text=str(e))
    group = _q(request, "group")
    text = md.export_csv(found.rows) if fmt == "csv" else md.export_json(found.rows)
    name = f"dlq-{''.join(c if c.isalnum() or c in '-_' else '_' for c in group)}-{int(time.time())}.{fmt}"
    return web.Response(text=text, content_type="text/csv" if fmt == "csv" else "application/json",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


@routes.post("/dlq/resend")
@change("resend dead letters", back=lambda r: "/dlq")
async def resend(request: web.Request, form) -> Done:
    console = console_of(request)
    group = field(form, "group")
    ids = [str(x).strip() for x in form.getall("id", []) if str(x).strip()]
    if not ids:
        raise FormError("select at least one dead letter")
    session = session_of(request)
    producer = mc.Producer(console.admin, "CONSOLE_DLQ_RESEND")
    sent, failed = [], []
    try:
        for msg_id in ids:
            try:
                result = await md.resend_dead_letter(console.admin, producer, group, msg_id)
            except (md.Invalid, md.NotFound, AdminError) as e:
                failed.append(f"{msg_id}: {e}")
                console.audit.record(session.user, client_addr(request), "resend dead letter",
                                     f"{msg_id} -> %RETRY%{group}", f"failed: {e}")
                continue
            sent.append(msg_id)
            console.audit.record(session.user, client_addr(request), "resend dead letter",
                                 f"{msg_id} -> %RETRY%{group} ({result.offset_msg_id})", "ok")
    finally:
        await producer.shutdown()
    if failed and not sent:
        raise FormError("; ".join(failed))
    text = f"Resent {len(sent)} dead letter(s) of {group} to %RETRY%{group}"
    if failed:
        text += f"; {len(failed)} failed: " + "; ".join(failed)
    back = form.get("_back")
    return Done(f"{group}: {', '.join(sent)}", text, back if isinstance(back, str) else "")
