"""`cobrowse audit export` and `cobrowse audit purge`: the audit log from a shell,
straight from the database the configuration names (the server may be running)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from cobrowse.cli_options import data_config, data_options
from cobrowse.config import Config, ConfigError
from cobrowse.core.audit import parse_kinds, parse_time
from cobrowse.server.audit import DAY
from cobrowse.server.audit_api import CSV_COLUMNS, csv_line, csv_row, jsonl_line
from cobrowse.server.recording_setup import load_ring, store_for
from cobrowse.server.recordings import Recorder
from cobrowse.store.audit import AuditQuery, SqlAuditStore
from cobrowse.store.private_files import open_private

BATCH = 1000


def add_parser(sub: Any) -> None:
    audit = sub.add_parser("audit", help="export or purge the audit log")
    commands = audit.add_subparsers(required=True, metavar="ACTION")

    export = commands.add_parser("export", help="print entries as CSV or JSON Lines")
    export.add_argument("--format", choices=("csv", "jsonl"), default="jsonl")
    export.add_argument("--output", "-o", default="-", help="a file (default: standard output)")
    export.add_argument("--session", default=None, help="one session id")
    export.add_argument("--kind", default=None, help="comma-separated kinds (docs/audit.md)")
    export.add_argument("--actor", default=None, help="an agent's name, visitor, system...")
    export.add_argument("--since", default=None, help="ISO 8601 or epoch seconds (inclusive)")
    export.add_argument("--until", default=None, help="ISO 8601 or epoch seconds (exclusive)")
    data_options(export)
    export.set_defaults(run=run_export)

    purge = commands.add_parser("purge", help="delete entries older than the retention period")
    purge.add_argument(
        "--older-than-days", type=float, default=None, help="default: audit.retention_days"
    )
    data_options(purge)
    purge.set_defaults(run=run_purge)


def _query(args: argparse.Namespace) -> AuditQuery:
    try:
        kinds = parse_kinds(args.kind)
        since = parse_time(args.since) if args.since else None
        until = parse_time(args.until) if args.until else None
    except ValueError as exc:
        raise ConfigError(f"audit export: {exc}") from None
    return AuditQuery(
        session_id=args.session,
        kinds=kinds,
        actor=args.actor,
        since=since,
        until=until,
        limit=BATCH,
    )


def run_export(args: argparse.Namespace) -> int:
    config = data_config(args)
    query = _query(args)
    if args.output == "-":
        count = asyncio.run(export(config.audit_url, query, args.format, sys.stdout))
    else:
        fd = open_private(Path(args.output), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            count = asyncio.run(export(config.audit_url, query, args.format, out))
    print(f"exported {count} entries", file=sys.stderr)
    return 0


async def export(url: str, query: AuditQuery, format: str, out: TextIO) -> int:
    store = SqlAuditStore(url)
    count = 0
    try:
        await store.open()
        if format == "csv":
            out.write(csv_line(CSV_COLUMNS))
        after = 0
        while True:
            page = await store.query(replace(query, after_id=after, limit=BATCH))
            for entry in page:
                out.write(csv_line(csv_row(entry)) if format == "csv" else jsonl_line(entry))
            count += len(page)
            if len(page) < BATCH:
                return count
            assert page[-1].id is not None
            after = page[-1].id
    finally:
        await store.close()


def run_purge(args: argparse.Namespace) -> int:
    config = data_config(args)
    days = config.audit.retention_days if args.older_than_days is None else args.older_than_days
    if days <= 0:
        print("audit.retention_days is 0 (keep everything): nothing purged", file=sys.stderr)
        purge_recordings(config)
        return 0
    gone = asyncio.run(purge(config.audit_url, before=time.time() - days * DAY))
    print(f"purged {gone} entries older than {days:g} days", file=sys.stderr)
    purge_recordings(config)
    return 0


def purge_recordings(config: Config) -> None:
    """The recordings past recordings.retention_days go by the same command."""
    ring = load_ring(config, create=False)
    rec = config.recordings
    if ring is None or rec.retention_days <= 0:
        return
    recorder = Recorder(store_for(config), ring, retention_days=rec.retention_days)
    gone = recorder.purge()
    print(f"purged {gone} recordings older than {rec.retention_days:g} days", file=sys.stderr)


async def purge(url: str, *, before: float) -> int:
    store = SqlAuditStore(url)
    try:
        await store.open()
        return await store.purge(before=before)
    finally:
        await store.close()
