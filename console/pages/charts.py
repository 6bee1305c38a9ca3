"""Charts of produce/consume rate per broker and lag per group over the last chartWindowSeconds, drawn in the
page from `/api/charts` (the History's samples, in memory)."""
from __future__ import annotations

from aiohttp import web

from ..web import console_of, page

routes = web.RouteTableDef()


@routes.get("/charts")
async def charts(request: web.Request) -> web.Response:
    console = console_of(request)
    return page(request, "charts.html", title="Charts", group=request.query.get("group", ""),
                interval=console.config.pollIntervalSeconds, window=console.config.chartWindowSeconds)


@routes.get("/api/charts")
async def charts_data(request: web.Request) -> web.Response:
    """{"brokers": {name: [[t, putTps, getTps], ...]}, "groups": {group: [[t, lag, consumeTps], ...]}, ...};
    `?group=` keeps one group's series."""
    history = console_of(request).history
    groups = history.series("groups")
    wanted = request.query.get("group")
    if wanted:
        groups = {g: s for g, s in groups.items() if g == wanted}
    return web.json_response({"brokers": history.series("brokers"), "groups": groups, "error": history.error,
                              "samples": history.samples, "interval": history.interval_s,
                              "window": history.window_s})
