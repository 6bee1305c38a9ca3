"""The audit log's tail, newest first."""
from __future__ import annotations

from aiohttp import web

from ..web import console_of, page

routes = web.RouteTableDef()


@routes.get("/audit")
async def audit(request: web.Request) -> web.Response:
    console = console_of(request)
    return page(request, "audit.html", title="Audit log", entries=console.audit.tail(500),
                path_shown=console.audit.path)
