"""The console's web plumbing: its state (`Console`), the security middleware (session cookie, CSRF on every
non-GET request, headers), page rendering, and `change`, the one way a page changes the cluster: admin only,
audited, answered with a redirect and a message."""
from __future__ import annotations

import functools
import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable
from urllib.parse import urlsplit

import jinja2
from aiohttp import web
from markupsafe import Markup

from remoting.errors import RemotingError
from tools.mqadmin.cli import CommandError
from tools.mqadmin.client import AdminClient

from .audit import AuditLog
from .config import ConsoleConfig
from .sessions import COOKIE, Session, Sessions

log = logging.getLogger("console")

STATIC_DIR = Path(__file__).parent / "static"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM_BYTES = 16 << 20      # a CSV or metadata JSON import; aiohttp refuses bigger bodies with 413

NAV = [("/", "Cluster"), ("/topics", "Topics"), ("/groups", "Consumer groups"), ("/producers", "Producers"),
       ("/messages", "Messages"), ("/dlq", "Dead letters"), ("/send", "Send & receive"), ("/charts", "Charts"),
       ("/audit", "Audit log")]

CONSOLE_KEY: web.AppKey["Console"] = web.AppKey("console", object)     # type: ignore[arg-type]
SESSION_KEY = "session"


class FormError(ValueError):
    """A form value that cannot be used (the page says which and why)."""


@dataclass
class Done:
    """What a successful change answers: the audit target, the message shown, where the browser goes next."""
    target: str
    message: str
    to: str


class Console:
    """Everything the handlers share. No cluster data is kept here: every page asks the cluster again."""

    def __init__(self, config: ConsoleConfig, admin: AdminClient, audit: AuditLog, history=None) -> None:
        self.config = config
        self.admin = admin
        self.audit = audit
        self.history = history
        self.sessions = Sessions(config.sessionTimeoutMinutes * 60)
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("console", "templates"), autoescape=True,
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.templates.filters["ms_time"] = ms_time
        self.templates.globals["csrf_field"] = csrf_field
        self.templates.globals["static"] = static_url
        self.templates.filters["num"] = lambda n: f"{int(n):,}" if n is not None and n != "" else ""


def ms_time(ms: int | str | None) -> str:
    """A Java millisecond timestamp as local time, the way the pages show every time ("-" for 0/none)."""
    try:
        ms = int(ms or 0)
    except (TypeError, ValueError):
        return str(ms)
    if ms <= 0:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ms / 1000)) + f".{ms % 1000:03d}"


@jinja2.pass_context
def csrf_field(ctx) -> Markup:
    """The hidden field every form of a page carries (the session's CSRF token)."""
    return Markup('<input type="hidden" name="_csrf" value="%s">') % ctx["csrf"]


@functools.cache
def static_url(name: str) -> str:
    """A static file's URL with its content hash, so a browser never runs an old script against a new page."""
    data = (STATIC_DIR / name).read_bytes()
    return f"/static/{name}?v={hashlib.sha256(data).hexdigest()[:12]}"


def console_of(request: web.Request) -> Console:
    return request.app[CONSOLE_KEY]


def session_of(request: web.Request) -> Session:
    return request[SESSION_KEY]


def client_addr(request: web.Request) -> str:
    return request.remote or "-"


@web.middleware
async def security(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    """The session (made on first visit), then CSRF: a request that can change anything must carry the session's
    token (form field `_csrf` or header `X-CSRF-Token`) and, when it has an Origin, come from this console."""
    console = console_of(request)
    session = console.sessions.get(request.cookies.get(COOKIE))
    fresh = session is None
    if session is None:
        session = console.sessions.new()
    request[SESSION_KEY] = session
    if request.method not in SAFE_METHODS:
        refusal = await _csrf_refusal(request, session)
        if refusal is not None:
            console.audit.record(session.user, client_addr(request), f"{request.method} {request.path}", "-",
                                 f"refused: {refusal}")
            log.warning("refused %s %s from %s: %s", request.method, request.path, client_addr(request), refusal)
            resp: web.StreamResponse = page(request, "refused.html", status=403, title="Refused", reason=refusal)
            return _finish(resp, request, fresh)
    try:
        resp = await handler(request)
    except web.HTTPException as e:
        resp = e
    except (CommandError, RemotingError, OSError) as e:
        # the cluster (or part of it) did not answer: say so, show nothing stale
        resp = page(request, "error.html", status=502, title="Cluster unavailable", reason=str(e))
    return _finish(resp, request, fresh)


async def _csrf_refusal(request: web.Request, session: Session) -> str | None:
    origin = request.headers.get("Origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.host:
        return f"cross-origin request from {origin}"
    token = request.headers.get("X-CSRF-Token")
    if token is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        token = (await request.post()).get("_csrf")
    if not session.csrf_ok(token if isinstance(token, str) else None):
        return "missing or wrong CSRF token"
    return None


def _finish(resp: web.StreamResponse, request: web.Request, fresh: bool) -> web.StreamResponse:
    session = session_of(request)
    if fresh or request.get("session_changed"):
        resp.set_cookie(COOKIE, session.token, httponly=True, samesite="Strict", path="/")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    resp.headers.setdefault("Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'")
    resp.headers.setdefault("Cache-Control", "no-store")
    return resp


def page(request: web.Request, template: str, status: int = 200, **ctx: object) -> web.Response:
    """A page of the layout: navigation, who is logged in, the CSRF token for its forms, pending messages."""
    console = console_of(request)
    session = session_of(request)
    ctx.setdefault("title", "")
    text = console.templates.get_template(template).render(
        nav=NAV, path=request.path, user=session.user, csrf=session.csrf,
        admin_configured=console.config.admin_configured, can_change=session.user is not None,
        flashes=session.take_flashes(), namesrv=console.config.namesrvAddr, **ctx)
    return web.Response(text=text, status=status, content_type="text/html")


def change(action: str, back: str | Callable[[web.Request], str] = "/"):
    """Decorates a POST handler `(request, form) -> Done` that changes the cluster. Read-only sessions are refused
    (403, audited); a FormError or a cluster error is shown on the page it came from, audited as failed."""
    def wrap(fn: Callable[[web.Request, dict], Awaitable[Done]]):
        @functools.wraps(fn)
        async def handler(request: web.Request) -> web.StreamResponse:
            console = console_of(request)
            session = session_of(request)
            addr = client_addr(request)
            if session.user is None:
                reason = ("read-only console: log in as an admin to change anything" if console.config.admin_configured
                          else "read-only console: no admin login is configured (console.properties)")
                console.audit.record(None, addr, action, "-", "refused: read-only")
                return page(request, "refused.html", status=403, title="Refused", reason=reason)
            form = await request.post()
            to = form.get("_back") or (back(request) if callable(back) else back)
            if not local_path(to):
                to = "/"
            try:
                done = await fn(request, form)
            except (FormError, CommandError, RemotingError, OSError) as e:
                target = str(form.get("_target") or "-")
                console.audit.record(session.user, addr, action, target, f"failed: {e}")
                session.flash("error", f"{action} failed: {e}")
                raise web.HTTPSeeOther(to) from None
            console.audit.record(session.user, addr, action, done.target, "ok")
            log.info("console change by %s from %s: %s %s", session.user, addr, action, done.target)
            session.flash("ok", done.message)
            raise web.HTTPSeeOther(done.to or to)
        return handler
    return wrap


def local_path(to: object) -> bool:
    """A redirect target of this console only: "/x", never "//host", "/\\host" (browsers read both as another
    host) or anything with control characters."""
    return (isinstance(to, str) and to.startswith("/") and not to.startswith(("//", "/\\")) and "\\" not in to
            and not any(ord(c) < 32 or ord(c) == 127 for c in to))


def field(form, name: str, default: str | None = None, required: bool = True) -> str:
    v = form.get(name)
    v = v.strip() if isinstance(v, str) else default
    if required and not v:
        raise FormError(f"{name} is required")
    return v or ""


def int_field(form, name: str, default: int | None = None, lo: int | None = None, hi: int | None = None) -> int:
    raw = form.get(name)
    if (raw is None or (isinstance(raw, str) and not raw.strip())) and default is not None:
        return default
    try:
        v = int(str(raw).strip())
    except ValueError:
        raise FormError(f"{name} must be a whole number, not {raw!r}") from None
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise FormError(f"{name} must be between {lo} and {hi}")
    return v
