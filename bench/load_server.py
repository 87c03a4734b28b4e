"""The server side of bench/load.py: cobrowse or the bare relay on a chosen stack.

    PYTHONPATH=. python -m bench.load_server --app ours|bare --stack STACK \
        --compression on|off --port PORT --data-dir DIR --link-secret S --site ORIGIN

STACK: uvicorn-websockets, uvicorn-wsproto, uvicorn-sansio (uvicorn's
websockets-sansio), granian (cobrowse's sockets on its ASGI route), direct (cobrowse as
`cobrowse serve` runs it: its /ws on server/ws_relay.py, the rest on uvicorn; the bare
relay on the same frame reader), or picows (the bare relay only: not ASGI).
load.py starts it under `taskset`, so the whole process stays on one core.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from typing import Any

import uvicorn
from bench.load_bare import BareRelay, serve_direct, serve_picows

from cobrowse.cli import _http_protocol, _listen, _run
from cobrowse.config import Config, load_config

UVICORN_WS = {
    "uvicorn-websockets": "websockets",
    "uvicorn-wsproto": "wsproto",
    "uvicorn-sansio": "websockets-sansio",
}
STACKS = (*UVICORN_WS, "granian", "direct", "picows")
ENV_KEY = "BENCH_LOAD_SERVER"  # the options, for granian's worker (it imports the app)


def bench_config(options: dict[str, Any]) -> Config:
    """cobrowse as a deployment runs it (inline mode, defaults), quiet, on a data dir;
    its relay sockets on the direct engine only on the direct stack."""
    return load_config(None, {}).with_changes(
        server={
            "host": "127.0.0.1",
            "port": options["port"],
            "data_dir": options["data_dir"],
            "public_url": "",
            "log_level": "warning",
            "ws_engine": "direct" if options["stack"] == "direct" else "asgi",
        },
        proxy={"allowed_origins": [options["site"]], "mode": "inline"},
        auth={"link_secret": options["link_secret"]},
        store={"url": options.get("store_url") or "memory://"},
    )


def make_app(options: dict[str, Any], config: Config | None = None) -> Any:
    if options["app"] == "bare":
        return BareRelay()
    from cobrowse.server.app import create_app

    return create_app(config or bench_config(options))


def granian_app() -> Any:
    """Granian's factory target: the options come through the environment."""
    return make_app(json.loads(os.environ[ENV_KEY]))


def serve_uvicorn(options: dict[str, Any]) -> None:
    config = bench_config(options)
    limit = config.limits.visitor_message_bytes
    app = make_app(options, config)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=options["port"],
            loop="uvloop",
            http=_http_protocol(app, config) if options["app"] == "ours" else "httptools",
            ws=UVICORN_WS.get(options["stack"], "websockets"),  # type: ignore[arg-type]
            ws_per_message_deflate=options["compression"] == "on",
            ws_max_size=2 * limit,  # as cobrowse.cli._server
            log_level="warning",
            access_log=False,
            lifespan="on",
        )
    )
    sock = _listen("127.0.0.1", options["port"])  # TCP_NODELAY, as the CLI does
    _run(server.serve(sockets=[sock]))


def exec_granian(options: dict[str, Any]) -> None:
    if options["compression"] == "on":
        sys.exit("granian has no permessage-deflate; use --compression off")
    os.environ[ENV_KEY] = json.dumps(options)
    granian = shutil.which("granian", path=os.path.dirname(sys.executable))
    if granian is None:
        sys.exit("granian is not installed (.venv/bin/pip install granian)")
    args = [
        granian,
        "--interface", "asgi",
        "--factory", "bench.load_server:granian_app",
        "--host", "127.0.0.1",
        "--port", str(options["port"]),
        "--workers", "1",
        "--runtime-threads", "1",
        "--loop", "uvloop",
        "--log-level", "warning",
        "--backlog", "4096",
        "--backpressure", "100000",  # default backlog/workers would cap open sockets
    ]  # fmt: skip
    os.execv(granian, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", choices=("ours", "bare"), required=True)
    parser.add_argument("--stack", choices=STACKS, default="uvicorn-websockets")
    parser.add_argument("--compression", choices=("on", "off"), default="off")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--link-secret", required=True)
    parser.add_argument("--site", required=True, help="the allowed site origin")
    parser.add_argument("--store-url", default="memory://", help="redis://... for a node")
    options = vars(parser.parse_args())
    if options["stack"] in UVICORN_WS:
        serve_uvicorn(options)
    elif options["stack"] == "granian":
        exec_granian(options)
    elif options["compression"] == "on":
        sys.exit(f"{options['stack']} has no permessage-deflate; use --compression off")
    elif options["stack"] == "picows" and options["app"] == "bare":
        _run(serve_picows("127.0.0.1", options["port"]))
    elif options["stack"] == "picows":
        sys.exit("picows serves the bare relay only; cobrowse's direct engine is --stack direct")
    elif options["app"] == "bare":
        _run(serve_direct("127.0.0.1", options["port"]))
    else:  # cobrowse as `cobrowse serve` runs it: /ws direct, the rest on uvicorn
        serve_uvicorn(options)


if __name__ == "__main__":
    main()
