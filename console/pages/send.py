"""Send & receive: a test message sent with mqadmin's producer (sendMessage), its SendResult shown; the newest
messages of a topic pulled without committing any group offset (printMsg's pull), each linked to its detail."""
from __future__ import annotations

import time
from urllib.parse import urlencode

from aiohttp import web

from tools.mqadmin import mqclient as mc
from tools.mqadmin.client import AdminError

from .. import messages_data as md
from ..web import Done, FormError, change, console_of, field, int_field, page
from .messages import detail_url

routes = web.RouteTableDef()

RESULT_KEYS = ("status", "msgId", "offsetMsgId", "broker", "queue", "offset", "topic")
MAX_RECEIVE = 256
MAX_BODY = 4 << 20       # the broker's maxMessageSize


def _q(request: web.Request, name: str) -> str:
    return request.query.get(name, "").strip()


@routes.get("/send")
async def send_page(request: web.Request) -> web.Response:
    result = {k: _q(request, k) for k in RESULT_KEYS} if _q(request, "status") else None
    return page(request, "send.html", title="Send & receive", result=result,
                rq=dict.fromkeys(("topic", "tags", "count"), ""), found=None, error="", detail_url=detail_url)


@routes.get("/send/receive")
async def receive(request: web.Request) -> web.Response:
    admin = console_of(request).admin
    rq = {k: _q(request, k) for k in ("topic", "tags", "count")}
    found, error, status = None, "", 200
    try:
        if not rq["topic"]:
            raise md.Invalid("topic is required")
        count = md.int_value(rq["count"] or "10", "count", lo=1)
        if count > MAX_RECEIVE:
            raise md.Invalid(f"count must be at most {MAX_RECEIVE}")
        found = await md.latest(admin, rq["topic"], count, rq["tags"] or "*")
    except md.Invalid as e:
        error, status = str(e), 400
    except md.NotFound as e:
        error, status = str(e), 404
    except AdminError as e:
        error = f"the broker refused the pull: {e}"
    return page(request, "send.html", status=status, title="Send & receive", result=None, rq=rq, found=found,
                error=error, detail_url=detail_url)


@routes.post("/send")
@change("send test message", back="/send")
async def send(request: web.Request, form) -> Done:
    admin = console_of(request).admin
    topic = field(form, "topic")
    body = field(form, "body", required=False, default="")
    if not body:
        raise FormError("body is required")
    if len(body.encode()) > MAX_BODY:
        raise FormError(f"body is larger than {MAX_BODY} bytes")
    tags = field(form, "tags", required=False) or None
    keys = field(form, "keys", required=False) or None
    delay = int_field(form, "delayLevel", default=0, lo=0, hi=18)
    props = {"DELAY": str(delay)} if delay else None
    # sendMessage's producer: a group named by the current ms, unregistered after the send
    producer = mc.Producer(admin, str(int(time.time() * 1000)))
    try:
        result = await producer.send(topic, body.encode("utf-8"), tags, keys, props=props)
    finally:
        await producer.shutdown()
    q = {"status": result.status, "msgId": result.msg_id, "offsetMsgId": result.offset_msg_id,
         "broker": result.mq.broker_name, "queue": result.mq.queue_id, "offset": result.queue_offset,
         "topic": topic}
    return Done(f"{topic} {result.msg_id}", f"Sent {result.msg_id} to {topic}: {result.status}",
                "/send?" + urlencode(q))
