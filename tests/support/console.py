"""The console daemon as a subprocess (console.properties from keyword arguments), and a small HTTP client for
its pages that keeps the session cookie and posts forms with the page's CSRF token, as a browser does."""
from __future__ import annotations

import re
import urllib.parse
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

from console.config import hash_password

from .daemons import DaemonProcess, free_port

ADMIN_USER = "admin"
ADMIN_PASSWORD = "console-test-password"
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


class ConsoleProcess(DaemonProcess):
    module = "console.main"
    boot_line = "The console boot success"

    def __init__(self, workdir: Path, namesrv_addr: str, admin: bool = True, **props: object) -> None:
        base = {"listenPort": str(free_port()), "namesrvAddr": namesrv_addr,
                "auditLogFile": str(Path(workdir) / "audit.log"), "pollIntervalSeconds": "1"}
        if admin:
            base.update(adminUser=ADMIN_USER, adminPasswordHash=hash_password(ADMIN_PASSWORD, iterations=1000))
        base.update({k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in props.items()})
        super().__init__(workdir, base)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):     # a 303 is returned to the test, which follows it itself
        return None


class Web:
    """A browser-like client of one console: cookies kept, forms posted with the CSRF token of the last page."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base = base_url
        self.timeout = timeout
        self.jar = CookieJar()
        self.opener = build_opener(HTTPCookieProcessor(self.jar), _NoRedirect)
        self.csrf = ""

    def _open(self, req: Request) -> tuple[int, dict, str]:
        try:
            with self.opener.open(req, timeout=self.timeout) as r:
                status, headers, body = r.status, dict(r.headers), r.read().decode("utf-8", "replace")
        except HTTPError as e:
            status, headers, body = e.code, dict(e.headers), e.read().decode("utf-8", "replace")
        m = _CSRF.search(body)
        if m:
            self.csrf = m.group(1)
        return status, headers, body

    def get(self, path: str) -> tuple[int, str]:
        status, _, body = self._open(Request(self.base + path))
        return status, body

    def post(self, path: str, data: dict[str, str], csrf: bool = True, follow: bool = True,
             headers: dict[str, str] | None = None) -> tuple[int, str]:
        """A form post; a 303 answer is followed with a GET (the page showing the outcome) when `follow`."""
        fields = dict(data)
        if csrf:
            if not self.csrf:
                self.get("/")
            fields["_csrf"] = self.csrf
        req = Request(self.base + path, data=urllib.parse.urlencode(fields).encode(), method="POST",
                      headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
        status, hdrs, body = self._open(req)
        if status == 303 and follow:
            return self.get(hdrs["Location"])
        return status, body

    def login(self, user: str = ADMIN_USER, password: str = ADMIN_PASSWORD) -> str:
        self.get("/login")
        status, body = self.post("/login", {"user": user, "password": password})
        assert status == 200 and f"admin: {user}" in body, body[-2000:]
        return body
