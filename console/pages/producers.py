"""Producers: every connected producer by group (GET_ALL_PRODUCER_INFO to each master, concurrently, merged, as
`mqadmin producer -b` per broker), and one group's connections on a topic (`mqadmin producerConnection`)."""
from __future__ import annotations


from aiohttp import web

from remoting.codes import RequestCode
from tools.mqadmin import adminext as ax
from tools.mqadmin.cli import CommandError
from tools.mqadmin.client_cmds import producer_connections
from tools.mqadmin.msgfmt import version_desc

from ..topics_data import ask_each, masters
from ..web import console_of, page

routes = web.RouteTableDef()


async def all_producers(admin) -> tuple[dict[str, list[dict]], dict[str, str]]:
    """group -> its producer instances (each with the broker it is connected to); broker -> why it failed."""
    ms = await masters(admin)

    async def one(addr: str) -> dict:
        return ax.body_json(await admin.ok(addr, RequestCode.GET_ALL_PRODUCER_INFO))
    answers, errors = await ask_each(ms, lambda m: one(m.addr))
    groups: dict[str, list[dict]] = {}
    for m, ans in answers:
        for group, infos in (ans.get("data") or {}).items():
            rows = groups.setdefault(group, [])
            for p in infos or ():
                rows.append({**p, "broker": m.name, "versionDesc": version_desc(int(p.get("version", 0)))})
    return dict(sorted(groups.items())), errors


@routes.get("/producers")
async def producers(request: web.Request) -> web.Response:
    admin = console_of(request).admin
    groups, errors = await all_producers(admin)
    group, topic = request.query.get("group", "").strip(), request.query.get("topic", "").strip()
    lookup, lookup_error = None, ""
    if group and topic:
        try:
            body = await producer_connections(admin, group, topic)
            lookup = [{**c, "versionDesc": version_desc(int(c.get("version", 0)))}
                      for c in body.get("connectionSet") or ()]
        except CommandError as e:
            lookup_error = str(e)
    elif group or topic:
        lookup_error = "give both a producer group and a topic"
    return page(request, "producers.html", title="Producers", groups=groups, errors=errors, group=group,
                topic=topic, lookup=lookup, lookup_error=lookup_error)
