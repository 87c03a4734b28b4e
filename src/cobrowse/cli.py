"""The `cobrowse` command: demo, serve, agent-link, api-key, user, audit, webhooks."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import signal
import socket
import sys
import time
from collections.abc import Coroutine, Iterator, Sequence
from typing import Any

import uvicorn

from cobrowse import audit_cli, webhooks_cli
from cobrowse.cli_options import data_config, data_options
from cobrowse.config import Config, ConfigError, load_config, read_toml
from cobrowse.core.links import LinkError, sign_link
from cobrowse.core.origins import OriginError, OriginPattern
from cobrowse.core.roles import Role, RoleError, parse_role
from cobrowse.server.accounts import AccountError, AccountStore, accounts_path
from cobrowse.server.api_keys import ApiKeyError, ApiKeyStore, api_keys_path
from cobrowse.server.auth import load_link_secret
from cobrowse.server.datafiles import DataFileError
from cobrowse.server.running import announced, read_running
from cobrowse.store.factory import store_problem

DEMO_LINK_TTL = 1800.0
# Site and proxy share the parent demo.localhost: the production shape (same-site overlay).
DEMO_PORTAL_HOST = "efiling.demo.localhost"
DEMO_PROXY_DOMAIN = "cobrowse.demo.localhost"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    # Whatever this process writes (the data directory, an audit export) is for its own
    # user alone; the files and folders are also made with explicit modes
    # (store/private_files.py), so this is the second line, not the only one.
    umask = os.umask(0o077)
    try:
        result: int = args.run(args)
        return result
    except (
        ConfigError,
        LinkError,
        OriginError,
        ListenError,
        AccountError,
        ApiKeyError,
        DataFileError,
    ) as exc:
        print(f"cobrowse: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        os.umask(umask)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cobrowse", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="the server and the demo e-filing portal")
    demo.add_argument("--port", type=_port, default=8000, help="co-browse server (8000)")
    demo.add_argument("--portal-port", type=_port, default=None, help="demo portal (port+1)")
    demo.add_argument("--data-dir", default="data/demo", help="where the link secret lives")
    demo.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="URL",
        help="another site that may embed the widget (repeatable)",
    )
    demo.set_defaults(run=_run_demo)

    serve = sub.add_parser("serve", help="the server alone, from configuration")
    serve.add_argument("--config", default=os.environ.get("COBROWSE_CONFIG"), help="TOML file")
    serve.set_defaults(run=_run_serve)

    link = sub.add_parser("agent-link", help="print a one-time agent sign-in URL")
    link.add_argument("--agent", required=True, help="the agent's display name")
    link.add_argument("--config", default=os.environ.get("COBROWSE_CONFIG"), help="TOML file")
    link.add_argument("--data-dir", default=None, help="the server's data directory")
    link.add_argument("--base-url", default=None, help="the server's public URL")
    link.add_argument("--ttl", type=float, default=None, help="seconds the link is valid")
    link.add_argument(
        "--role",
        type=_role,
        default=Role.AGENT,
        help="agent (the default), supervisor or admin",
    )
    link.add_argument("--team", default=None, help="the agent's team (what its supervisors see)")
    link.set_defaults(run=_run_agent_link)

    key = sub.add_parser("api-key", help="CRM API keys: create (the default), list, revoke ID")
    key.add_argument("action", nargs="?", default="create", choices=["create", "list", "revoke"])
    key.add_argument("key_id", nargs="?", help="the key's id (revoke)")
    key.add_argument("--label", default="", help="what the key is for (create)")
    data_options(key)
    key.set_defaults(run=_run_api_key)

    user = sub.add_parser(
        "user", help="local agent accounts: add, remove, reset-password, set-role, list"
    )
    user.add_argument("action", choices=["add", "remove", "reset-password", "set-role", "list"])
    user.add_argument("username", nargs="?")
    user.add_argument("--name", help="the display name the visitor sees (add)")
    user.add_argument(
        "--role", type=_role, default=Role.AGENT, help="agent (default), supervisor or admin"
    )
    user.add_argument("--team", default=None, help="the account's team (add, set-role)")
    user.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    data_options(user)
    user.set_defaults(run=_run_user)
    audit_cli.add_parser(sub)
    webhooks_cli.add_parser(sub)
    return parser


def _role(text: str) -> Role:
    try:
        return parse_role(text)
    except RoleError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return int(text)


def _config(path: str | None) -> Config:
    return load_config(read_toml(path) if path else None, os.environ)


def demo_config(
    *, port: int, portal_port: int, data_dir: str, extra_origins: Sequence[str]
) -> Config:
    for origin in extra_origins:
        OriginPattern.parse(origin)
    portal = [
        f"http://{DEMO_PORTAL_HOST}:{portal_port}",
        f"http://127.0.0.1:{portal_port}",
        f"http://localhost:{portal_port}",
    ]
    return load_config(None, os.environ).with_changes(
        server={
            "host": "127.0.0.1",
            "port": port,
            "data_dir": data_dir,
            # Behind a front (nginx before several demo nodes): where browsers reach it.
            "public_url": os.environ.get("COBROWSE_SERVER_PUBLIC_URL", ""),
        },
        proxy={
            "allowed_origins": [*portal, *extra_origins],
            "mode": os.environ.get("COBROWSE_PROXY_MODE", "proxy"),
            "domain": os.environ.get("COBROWSE_PROXY_DOMAIN", DEMO_PROXY_DOMAIN),
            # The demo portal runs on this machine; a real deployment lists nothing here.
            "allowed_networks": ["127.0.0.0/8", "::1/128"],
        },
    )


def _run_demo(args: argparse.Namespace) -> int:
    from cobrowse.demo.portal import create_portal_app
    from cobrowse.server.app import create_app

    portal_port = args.portal_port or args.port + 1
    if portal_port == args.port:
        raise ConfigError("--portal-port must differ from --port")
    config = demo_config(
        port=args.port,
        portal_port=portal_port,
        data_dir=args.data_dir,
        extra_origins=args.allow_origin,
    )
    _logging(config)
    app = create_app(config)
    portal = create_portal_app(cobrowse_url=config.base_url)
    listeners = [_listen("127.0.0.1", args.port), _listen("127.0.0.1", portal_port)]
    token, _ = sign_link(
        secret=load_link_secret(config), agent="Demo Agent", now=time.time(), ttl=DEMO_LINK_TTL
    )
    print(
        f"cobrowse demo\n"
        f"  demo portal (the taxpayer): http://{DEMO_PORTAL_HOST}:{portal_port}/\n"
        f"    (also http://127.0.0.1:{portal_port}/, where the overlay is a cross-site frame)\n"
        f"    it forwards /__cobrowse/continue/ to the server, so a taxpayer logged in there\n"
        f"    stays logged in through co-browsing (README, 'The visitor's login')\n"
        f"  co-browse server:           {config.base_url}/  (API docs at /docs)\n"
        f"  agent sign-in (one use, 30 minutes):\n"
        f"    {config.base_url}/agent/signin?token={token}\n"
        f"  another link: cobrowse agent-link --agent NAME --data-dir {args.data_dir}\n"
        f"  a supervisor (Sessions list, Watch, Take over, Recordings): add --role supervisor\n"
        f"  for a page without the button, send the visitor:\n"
        f"    {config.base_url}/start?url=http://{DEMO_PORTAL_HOST}:{portal_port}/login\n",
        flush=True,
    )
    servers = [
        (_server(app, config, host="127.0.0.1", port=args.port, relay=True), listeners[0]),
        (_server(portal, config, host="127.0.0.1", port=portal_port), listeners[1]),
    ]
    with announced(config):  # for `cobrowse agent-link` (server/running.py)
        _run(_serve_all(servers))
    return 0


def _run_serve(args: argparse.Namespace) -> int:
    from cobrowse.server.app import create_app

    config = _config(args.config)
    _logging(config)
    load_link_secret(config)  # fail early if the data directory is not writable
    problem = asyncio.run(store_problem(config.store.url))
    if problem is not None:
        raise ConfigError(problem)
    app = create_app(config)
    listener = _listen(config.server.host, config.server.port)
    print(f"cobrowse serving on {config.base_url}", flush=True)
    server = _server(app, config, host=config.server.host, port=config.server.port, relay=True)
    with announced(config):  # for `cobrowse agent-link` (server/running.py)
        _run(_serve_all([(server, listener)]))
    return 0


def _run_agent_link(args: argparse.Namespace) -> int:
    config = _config(args.config)
    changes: dict[str, object] = {}
    if args.data_dir:
        changes["data_dir"] = args.data_dir
    if args.base_url:
        changes["public_url"] = args.base_url
    if changes:
        config = config.with_changes(server=changes)
    ttl = args.ttl if args.ttl is not None else config.auth.link_ttl_seconds
    token, expires_at = sign_link(
        secret=load_link_secret(config),
        agent=args.agent,
        now=time.time(),
        ttl=ttl,
        role=args.role,
        team=args.team,
    )
    print(f"{link_base_url(config, given=bool(args.base_url))}/agent/signin?token={token}")
    print(
        f"(one use; valid until {time.strftime('%H:%M:%S', time.localtime(expires_at))})",
        file=sys.stderr,
    )
    return 0


def link_base_url(config: Config, *, given: bool) -> str:
    """Where an agent link points: `--base-url` (`given`), else the configured public
    URL, else where the server running on this data directory says it is, else the
    configuration's host and port."""
    if given or config.server.public_url:
        return config.base_url
    running = read_running(config)
    return running.base_url if running is not None else config.base_url


def _run_api_key(args: argparse.Namespace) -> int:
    config = data_config(args)
    store = ApiKeyStore(api_keys_path(config), configured=config.auth.api_keys)
    if args.action == "create":
        key, record = store.create(label=args.label)
        print(f"API key {record.id} (give it to the CRM; shown once, stored as a hash):")
        print(key)
        print(f"(revoke with: cobrowse api-key revoke {record.id})", file=sys.stderr)
    elif args.action == "list":
        for k in store.records():
            when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(k.created_at))
            state = (
                "revoked " + time.strftime("%Y-%m-%d %H:%M", time.gmtime(k.revoked_at))
                if k.revoked_at is not None
                else "active"
            )
            print(f"{k.id}  created {when} UTC  {state}  {k.label}")
        if config.auth.api_keys:
            print(f"(and {len(config.auth.api_keys)} key(s) in auth.api_keys of the configuration)")
    else:
        if not args.key_id:
            raise ApiKeyError("which key? cobrowse api-key revoke ID (see cobrowse api-key list)")
        store.revoke(args.key_id)
        print(f"API key {args.key_id} revoked; it stops working at once.")
    return 0


def _run_user(args: argparse.Namespace) -> int:
    store = AccountStore(accounts_path(data_config(args)))
    if args.action == "list":
        for a in sorted(store.accounts().values(), key=lambda a: a.username):
            team = f"  team {a.team}" if a.team else ""
            print(f"{a.username}  {a.role.value}{team}  {a.name}")
        return 0
    if not args.username:
        raise AccountError(f"which user? cobrowse user {args.action} USERNAME")
    if args.action == "remove":
        store.remove(args.username)
        print(f"user {args.username} removed; they can no longer sign in.")
        return 0
    if args.action == "set-role":
        changed = store.set_role(args.username, role=args.role, team=args.team)
        team = f" of team {changed.team}" if changed.team else ""
        print(
            f"user {changed.username} is now {changed.role.value}{team} (from their next sign-in)."
        )
        return 0
    password = _read_password(args.password_stdin)
    if args.action == "add":
        account = store.add(
            args.username,
            name=args.name or args.username,
            password=password,
            role=args.role,
            team=args.team,
        )
        print(f"user {account.username} added (shown to visitors as {account.name!r}).")
    else:
        store.set_password(args.username, password)
        print(f"password of {args.username} changed.")
    return 0


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise AccountError("the passwords differ")
    return first


def _logging(config: Config) -> None:
    """The process's logging (`server.log_level`, `server.log_format`); uvicorn's own
    loggers go through it too (`log_config=None` below), so in JSON every line is."""
    from cobrowse.server.logs import configure

    configure(level=config.server.log_level, log_format=config.server.log_format)


def _server(
    app: object, config: Config, *, host: str, port: int, relay: bool = False
) -> uvicorn.Server:
    """`relay`: `app` is cobrowse's, whose relay sockets go to `server.ws_engine`."""
    server_config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        http=_http_protocol(app, config) if relay else "auto",
        log_level=config.server.log_level,
        log_config=None,  # logging is set up by _logging, in the configured format
        access_log=False,  # ours logs paths without query strings
        # Frames up to twice the limit reach our decoder, which closes with a reason.
        ws_max_size=2 * config.limits.visitor_message_bytes,
        ws_per_message_deflate=config.server.ws_compression,
        lifespan="on",
        proxy_headers=bool(config.server.forwarded_allow_ips),
        forwarded_allow_ips=config.server.forwarded_allow_ips or None,
    )
    return _QuietServer(server_config)


def _http_protocol(app: object, config: Config) -> Any:
    """uvicorn's HTTP protocol, behind server/ws_relay.py's Front unless the relay's
    sockets stay on ASGI (`ws_engine = "asgi"`, or compression, which Front lacks)."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as http
    except ImportError:  # uvicorn without httptools
        from uvicorn.protocols.http.h11_impl import H11Protocol as http  # type: ignore[assignment]
    if config.server.ws_engine != "direct" or config.server.ws_compression:
        return http
    from cobrowse.server.ws_relay import front_protocol

    return front_protocol(app.state.ctx, http)  # type: ignore[attr-defined]


class _QuietServer(uvicorn.Server):
    """Signals are handled once for all servers by `_serve_all`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _run(main: Coroutine[Any, Any, None]) -> None:
    """uvloop's event loop where installed (uvicorn[standard] brings it), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    uvloop.run(main)


class ListenError(Exception):
    pass


def _listen(host: str, port: int) -> socket.socket:
    """Bind before starting anything, so a busy port is one clear line, not a traceback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: only then does asyncio set TCP_NODELAY on accepted
    # connections; without it, a small frame after another waits ~40 ms (Nagle + ack).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ListenError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


async def _serve_all(servers: list[tuple[uvicorn.Server, socket.socket]]) -> None:
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for server, _ in servers:
            server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    await asyncio.gather(*(server.serve(sockets=[sock]) for server, sock in servers))


if __name__ == "__main__":
    raise SystemExit(main())
