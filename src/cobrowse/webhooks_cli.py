"""`cobrowse webhooks deliveries` and `cobrowse webhooks test` (docs/webhooks.md).

`deliveries` asks the running server (GET /api/v1/webhooks/deliveries, with an API
key from COBROWSE_API_KEY); `test` sends a signed `webhook.ping` to each configured
endpoint from this process, once, and says what came back.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

import aiohttp

from cobrowse.cli_options import data_config, data_options
from cobrowse.config import Config, ConfigError
from cobrowse.core import webhooks as wh
from cobrowse.server.running import read_running
from cobrowse.server.webhook_send import Answer, Target, load_targets, new_event_id, send

API_KEY_ENV = "COBROWSE_API_KEY"
TIMEOUT = 30.0


def add_parser(sub: Any) -> None:
    hooks = sub.add_parser("webhooks", help="webhook deliveries; send a test ping")
    commands = hooks.add_subparsers(required=True, metavar="ACTION")

    listing = commands.add_parser("deliveries", help="the running server's recent deliveries")
    listing.add_argument("--status", default=None, help="pending, retrying, delivered, failed...")
    listing.add_argument("--event", default=None, help="an event type, e.g. session.ended")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="the API's JSON as it came")
    listing.add_argument("--url", default=None, help="the server (default: the running one)")
    data_options(listing)
    listing.set_defaults(run=run_deliveries)

    test = commands.add_parser("test", help="send a signed webhook.ping to each endpoint")
    test.add_argument("--endpoint", default=None, help="only the endpoint of this name")
    data_options(test)
    test.set_defaults(run=run_test)


# --- deliveries -------------------------------------------------------------------


def run_deliveries(args: argparse.Namespace) -> int:
    key = os.environ.get(API_KEY_ENV, "")
    if not key:
        raise ConfigError(f"set {API_KEY_ENV} to an API key (`cobrowse api-key create`)")
    base = args.url or _server_url(data_config(args))
    params = {"limit": args.limit, "status": args.status, "event_type": args.event}
    query = urlencode({k: v for k, v in params.items() if v is not None})
    url = f"{base.rstrip('/')}/api/v1/webhooks/deliveries?{query}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            page = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        print(f"cobrowse: {base} answered {exc.code}: {_error(exc)}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"cobrowse: cannot reach {base}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(page, indent=2))
        return 0
    print(format_deliveries(page))
    return 0


def _server_url(config: Config) -> str:
    """The public URL when configured, else where the server on this data directory
    says it runs, else the configuration's host and port."""
    if config.server.public_url:
        return config.base_url
    running = read_running(config)
    return running.base_url if running is not None else config.base_url


def _error(exc: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(exc.read())["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return exc.reason


COLUMNS = ("created", "event", "endpoint", "status", "tries", "last", "next retry")


def format_deliveries(page: dict[str, Any]) -> str:
    """A table, newest first, and how many wait."""
    rows = [COLUMNS]
    for d in page["deliveries"]:
        last = d["last_error"] or (str(d["last_status"]) if d["last_status"] else "-")
        rows.append(
            (
                d["created"],
                d["event_type"],
                d["endpoint"],
                d["status"],
                str(d["attempts"]),
                last,
                d["next_retry"] or "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.append(f"{len(page['deliveries'])} shown; {page['waiting']} waiting")
    return "\n".join(line.rstrip() for line in lines)


# --- test -------------------------------------------------------------------------


def run_test(args: argparse.Namespace) -> int:
    config = data_config(args)
    targets = load_targets(config.webhooks, os.environ)
    if args.endpoint is not None:
        targets = tuple(t for t in targets if t.endpoint.name == args.endpoint)
    if not targets:
        named = f" named {args.endpoint!r}" if args.endpoint else ""
        raise ConfigError(f"no webhook endpoint{named} is configured ([[webhooks.endpoints]])")
    failed = 0
    for target, event, answer in asyncio.run(ping_all(targets)):
        ok = answer.status is not None and 200 <= answer.status <= 299
        failed += not ok
        outcome = f"HTTP {answer.status}" if answer.status is not None else answer.error
        print(f"{target.endpoint.name}: {'ok' if ok else 'FAILED'} ({outcome}), event {event.id}")
    return 1 if failed else 0


async def ping_all(targets: tuple[Target, ...]) -> list[tuple[Target, wh.Event, Answer]]:
    """One signed ping to each target, one attempt each."""
    results = []
    async with aiohttp.ClientSession() as session:
        for target in targets:
            now = time.time()
            event = wh.ping(event_id=new_event_id(), at=now)
            answer = await send(session, target, wh.body(event), event=event, now=int(now))
            results.append((target, event, answer))
    return results
