"""The aiohttp application: the middleware, the static files and every page family's routes."""
from __future__ import annotations

import importlib

from aiohttp import web

from .web import CONSOLE_KEY, MAX_FORM_BYTES, STATIC_DIR, Console, security

# page families, each a console.pages module with `routes`
PAGES = ["overview", "topics", "groups", "producers", "messages", "dlq", "send", "charts", "bulk", "audit",
         "login"]


def make_app(console: Console) -> web.Application:
    app = web.Application(middlewares=[security], client_max_size=MAX_FORM_BYTES)
    app[CONSOLE_KEY] = console
    for name in PAGES:
        app.router.add_routes(importlib.import_module(f"console.pages.{name}").routes)
    app.router.add_static("/static/", STATIC_DIR)
    return app
