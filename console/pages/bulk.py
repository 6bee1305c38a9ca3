"""Bulk work on topics and groups: many topics created at once, and export/import of topics and groups as CSV or
as Apache's metadata JSON (exactly what `mqadmin exportMetadata -c` writes; the import is `mqadmin
importMetadata`'s code, reporting created / already exists / refused per item)."""
from __future__ import annotations

import csv
import io
import re
import time

from aiohttp import web

from remoting import fastjson
from tools.mqadmin.cli import CommandError
from tools.mqadmin.export_cmds import cluster_metadata, import_items, parse_metadata
from tools.mqadmin.group_cmds import GROUP_FIELDS
from tools.mqadmin.topic_cmds import apply_topic

from .. import results
from ..topics_data import ctx_of, masters
from ..web import Done, FormError, change, console_of, field, page, session_of
from .topics import target_of, topic_config, topic_name

routes = web.RouteTableDef()
TOPIC_COLUMNS = ("topicName", "readQueueNums", "writeQueueNums", "perm", "order", "topicSysFlag", "topicFilterType")
GROUP_COLUMNS = tuple(k for k, _ in GROUP_FIELDS)
MAX_TOPICS = 1000


@routes.get("/bulk")
async def bulk(request: web.Request) -> web.Response:
    ms = await masters(console_of(request).admin)
    session = session_of(request)
    return page(request, "bulk.html", title="Bulk topics and groups", masters=ms,
                clusters=sorted({m.cluster for m in ms}), perms=["RW", "R", "W"],
                created=results.take(session, "bulk-create"), imported=results.take(session, "bulk-import"))


@routes.post("/bulk/topics")
@change("create topics", "/bulk")
async def create_topics(request: web.Request, form) -> Done:
    names = [n for n in re.split(r"[\s,;]+", field(form, "topics")) if n]
    if len(names) > MAX_TOPICS:
        raise FormError(f"at most {MAX_TOPICS} topics at once, not {len(names)}")
    for n in names:   # every name checked before anything is created
        topic_name({"topic": n})
    addr, cluster = target_of(form)
    ctx = ctx_of(console_of(request).admin)
    rows, failed = [], 0
    for n in dict.fromkeys(names):
        tc = topic_config(form, n)
        try:
            await apply_topic(ctx, tc, addr, cluster, say=lambda s: None)
            rows.append((n, "created/updated"))
        except CommandError as e:
            failed += 1
            rows.append((n, f"failed: {e}"))
    results.keep(session_of(request), "bulk-create", rows)
    if failed:
        raise FormError(f"{failed} of {len(rows)} topic(s) failed (see the table)")
    where = f"broker {addr}" if addr else f"cluster {cluster}"
    return Done(f"{len(rows)} topics", f"{len(rows)} topic(s) created/updated on {where}.", "/bulk")


def _csv(rows: list[dict], columns: tuple[str, ...]) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: str(v).lower() if isinstance(v, bool) else v for k, v in r.items()})
    return out.getvalue()


@routes.get("/bulk/export")
async def export(request: web.Request) -> web.Response:
    """?cluster=C&what=metadata|topics|groups&format=json|csv[&special=1]: a download."""
    admin = console_of(request).admin
    cluster = request.query.get("cluster", "")
    what = request.query.get("what", "metadata")
    fmt = request.query.get("format", "json")
    if what not in ("metadata", "topics", "groups") or fmt not in ("json", "csv") or \
            (fmt == "csv" and what == "metadata"):
        return page(request, "topic_missing.html", status=400, title="Bad export request", back="/bulk",
                    reason="export what=topics|groups as csv, or what=metadata|topics|groups as json")
    try:
        topics, groups = await cluster_metadata(ctx_of(admin), cluster, request.query.get("special") == "1")
    except CommandError as e:
        if "not found" not in str(e):
            raise
        return page(request, "topic_missing.html", status=404, title="No such cluster", back="/bulk", reason=str(e))
    if fmt == "csv":
        if what == "topics":
            body = _csv([{**tc, "topicName": n} for n, tc in sorted(topics.items())], TOPIC_COLUMNS)
        else:
            body = _csv([{**gc, "groupName": n} for n, gc in sorted(groups.items())], GROUP_COLUMNS)
        name, ctype = f"{cluster}-{what}.csv", "text/csv"
    else:   # the shapes and file names exportMetadata -c [-t|-g] writes
        result: dict = {}
        if what in ("metadata", "topics"):
            result["topicConfigTable"] = topics
        if what in ("metadata", "groups"):
            result["subscriptionGroupTable"] = groups
        result["exportTime"] = int(time.time() * 1000)
        body = fastjson.dumps_pretty(result)
        name = {"metadata": "metadata.json", "topics": "topic.json", "groups": "subscriptionGroup.json"}[what]
        ctype = "application/json"
    return web.Response(text=body, content_type=ctype, charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _bool(v: str) -> bool:
    return v.strip().lower() == "true"


def parse_csv(raw: bytes, name: str) -> tuple[dict, dict]:
    """A topics or groups CSV as this page exports it (its header says which) -> importMetadata's tables."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormError(f"{name} is not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    cols = set(reader.fieldnames or ())
    topics: dict[str, dict] = {}
    groups: dict[str, dict] = {}
    try:
        if "topicName" in cols:
            for r in reader:
                topics[r["topicName"]] = {"topicName": r["topicName"], "readQueueNums": int(r.get("readQueueNums") or 8),
                                          "writeQueueNums": int(r.get("writeQueueNums") or 8),
                                          "perm": int(r.get("perm") or 6), "order": _bool(r.get("order") or ""),
                                          "topicSysFlag": int(r.get("topicSysFlag") or 0),
                                          "topicFilterType": r.get("topicFilterType") or "SINGLE_TAG"}
        elif "groupName" in cols:
            defaults = dict(GROUP_FIELDS)
            for r in reader:
                cfg: dict = {}
                for k, default in GROUP_FIELDS:
                    v = (r.get(k) or "").strip()
                    cfg[k] = (default if not v else _bool(v) if isinstance(default, bool)
                              else int(v) if isinstance(defaults[k], int) else v)
                groups[r["groupName"]] = cfg
        else:
            raise FormError(f"{name}: the first line must name the columns, with topicName or groupName")
    except (ValueError, TypeError) as e:
        raise FormError(f"{name} line {reader.line_num}: {e}") from None
    return topics, groups


@routes.post("/bulk/import")
@change("import topics and groups", "/bulk")
async def import_(request: web.Request, form) -> Done:
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise FormError("choose a file to import")
    raw = upload.file.read()
    name = upload.filename or "upload"
    if not raw.strip():
        raise FormError(f"{name} is empty")
    if raw.lstrip()[:1] == b"{":
        topics, groups = parse_metadata(raw, name)
    else:
        topics, groups = parse_csv(raw, name)
    addr, cluster = target_of(form)
    admin = console_of(request).admin
    addrs = [addr] if addr else await admin.cluster_masters(cluster)
    if not addrs:
        raise FormError(f"cluster [{cluster}] has no master broker")
    rows: list[tuple[str, str, str, str]] = []
    counts = await import_items(ctx_of(admin), topics, groups, addrs,
                                bool(cluster) and form.get("divide") == "on",
                                lambda kind, n, a, outcome: rows.append((kind, n, a, outcome)))
    results.keep(session_of(request), "bulk-import", {"name": name, "rows": rows, "counts": counts})
    summary = (f"import {name}: {counts['created']} created, {counts['already exists']} already exist, "
               f"{counts['refused']} refused")
    if counts["refused"]:
        raise FormError(summary)
    return Done(name, summary + ".", "/bulk")
