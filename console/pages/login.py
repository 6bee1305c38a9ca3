"""Log in (a configured admin user and password, or the ACL admin keys) and out."""
from __future__ import annotations

import asyncio
import hmac

from aiohttp import web

from ..config import check_password
from ..web import client_addr, console_of, page, session_of

routes = web.RouteTableDef()


@routes.get("/login")
async def login_form(request: web.Request) -> web.Response:
    return page(request, "login.html", title="Log in")


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    session = session_of(request)
    form = await request.post()
    user, secret = str(form.get("user") or "").strip(), str(form.get("password") or "")
    cfg = console.config
    ok = False
    if user and secret:
        if cfg.adminUser and cfg.adminPasswordHash and hmac.compare_digest(user, cfg.adminUser):
            # PBKDF2's 200,000 rounds in a thread (hashlib lets go of the GIL): a login never stalls the pages
            ok = await asyncio.to_thread(check_password, secret, cfg.adminPasswordHash)
        elif cfg.accessKey and cfg.secretKey and hmac.compare_digest(user, cfg.accessKey):
            ok = hmac.compare_digest(secret.encode(), cfg.secretKey.encode())
    if not ok:
        console.audit.record(user or None, client_addr(request), "login", user or "-", "refused: bad credentials")
        session.flash("error", "Wrong user or password." if cfg.admin_configured
                      else "No admin login is configured: this console is read-only.")
        raise web.HTTPSeeOther("/login")
    fresh = console.sessions.login(session, user)
    request["session"] = fresh
    request["session_changed"] = True
    console.audit.record(user, client_addr(request), "login", user, "ok")
    fresh.flash("ok", f"Logged in as {user}.")
    raise web.HTTPSeeOther("/")


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    session = session_of(request)
    console.audit.record(session.user, client_addr(request), "logout", session.user or "-", "ok")
    console.sessions.logout(session)
    request["session"] = console.sessions.new()
    request["session_changed"] = True
    raise web.HTTPSeeOther("/")
