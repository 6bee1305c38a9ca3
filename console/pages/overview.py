"""The cluster overview: every broker with its role, version, disk, TPS, today's totals and HA state."""
from __future__ import annotations

from aiohttp import web

from .. import cluster
from ..web import console_of, page

routes = web.RouteTableDef()


@routes.get("/")
async def overview(request: web.Request) -> web.Response:
    rows = await cluster.brokers(console_of(request).admin)
    return page(request, "overview.html", title="Cluster", rows=rows)
