"""Everything a request handler needs, built once per app and passed explicitly."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from starlette.requests import HTTPConnection

from cobrowse.config import Config
from cobrowse.core import audit as a
from cobrowse.core.links import LinkKey
from cobrowse.core.origins import OriginList
from cobrowse.core.ratelimit import Policy
from cobrowse.core.session import Session
from cobrowse.core.throttle import ConnectionCaps
from cobrowse.server import invite_ops, supervision
from cobrowse.server.accounts import AccountStore, accounts_path
from cobrowse.server.api_keys import ApiKeyStore, api_keys_path
from cobrowse.server.audit import AuditLog
from cobrowse.server.auth import SECRET_FILE, derive_form_key, load_link_keys, load_link_secret
from cobrowse.server.cluster import Cluster
from cobrowse.server.hub import Hub
from cobrowse.server.metrics import Metrics
from cobrowse.server.oidc import OidcClient
from cobrowse.server.proxy_state import ProxyState
from cobrowse.server.recording_assets import session_assets
from cobrowse.server.recordings import Recorder, recorder_for
from cobrowse.server.webhook_send import load_targets
from cobrowse.server.webhooks import Webhooks
from cobrowse.store.audit import SqlAuditStore
from cobrowse.store.factory import store_from_url
from cobrowse.store.guards import Ceiling, GuardRules, GuardStore, Limiter, Window
from cobrowse.store.guards_factory import guards_from_url
from cobrowse.store.private_files import sqlite_file, tighten_all
from cobrowse.store.url import parse_store_url
from cobrowse.store.webhook_book import RedisDeliveryBook

audit_log = logging.getLogger("cobrowse.audit")
log = logging.getLogger("cobrowse.recordings")

# Join outcomes as the audit log names them (docs/audit.md).
JOIN_OUTCOMES = {"joined": "ok", "locked_out": "throttled"}

STATIC_DIR = Path(__file__).parent / "static"

# Creating sessions is cheap for a visitor and must stay cheap for us.
CREATE_POLICY = Policy(
    free_failures=1_000_000, lockout_failures=60, base_delay=0, max_delay=0, window=600
)


@dataclass(slots=True)
class LiveSnapshot:
    """The live sessions as last read, shared by every console's Sessions list."""

    at: float = float("-inf")
    sessions: list[Session] = field(default_factory=list)


@dataclass(slots=True)
class Context:
    config: Config
    clock: Callable[[], float] = time.time
    sleep_scale: float = 1.0  # tests may shrink the slow-down delays; never the counts
    hub: Hub = field(init=False)
    # Limiters, used links, sign-ins and SSO logins: shared by every node on a Redis
    # `store.url` (store/guards.py). Close it (`await guards.close()`) at shutdown.
    guards: GuardStore = field(init=False)
    join_limiter: Limiter = field(init=False)
    join_global: Ceiling = field(init=False)
    create_limiter: Limiter = field(init=False)
    login_limiter: Limiter = field(init=False)
    link_secret: str = field(init=False)
    link_keys: list[LinkKey] = field(init=False)
    accounts: AccountStore = field(init=False)
    api_keys: ApiKeyStore = field(init=False)
    oidc: OidcClient | None = field(init=False)
    form_key: bytes = field(init=False)  # derived from link_secret: the same on every node
    site_origins: OriginList = field(init=False)
    proxy: ProxyState = field(init=False)
    audit: AuditLog = field(init=False)
    recorder: Recorder | None = field(init=False)  # None: no site recorded, no key
    webhooks: Webhooks = field(init=False)
    sockets: ConnectionCaps = field(init=False)
    metrics: Metrics = field(init=False)
    draining: bool = False  # shutting down: /readyz answers 503
    live_snapshot: LiveSnapshot = field(init=False)

    def __post_init__(self) -> None:
        secure_data(self.config)
        lim = self.config.limits
        auth = self.config.auth
        self.metrics = Metrics(
            sessions_by_state=self._sessions_by_state,
            replay_buffer_bytes=self._replay_buffer_bytes,
            recording_frames_lost=lambda: 0 if self.recorder is None else self.recorder.lost_frames,
        )
        self.audit = AuditLog(
            SqlAuditStore(self.config.audit_url),
            clock=self.clock,
            retention_days=self.config.audit.retention_days,
        )
        self.recorder = recorder_for(self.config, clock=self.clock)
        targets = load_targets(self.config.webhooks, os.environ)
        self.webhooks = Webhooks(
            self.config.webhooks,
            targets=targets,
            clock=self.clock,
            metrics=self.metrics,
            sleep_scale=self.sleep_scale,
            # Several nodes: every node lists every node's deliveries.
            book=RedisDeliveryBook.from_url(
                self.config.store.url, keep=self.config.webhooks.history
            )
            if targets and parse_store_url(self.config.store.url).kind != "memory"
            else None,
        )
        self.audit.listeners.append(self.webhooks.record)
        self.site_origins = self.config.allowed_origins
        self.proxy = ProxyState(config=self.config, sites=self.site_origins)
        store_url = parse_store_url(self.config.store.url)
        self.hub = Hub(
            config=self.config,
            clock=self.clock,
            agent_view=self._agent_view,
            prepare_view=self._prepare_view,
            on_end=self._ended,
            files_url=self.config.base_url,
            audit=self.audit.record,
            store=store_from_url(self.config.store.url, max_sessions=lim.max_sessions),
            cluster=None
            if store_url.kind == "memory"
            else Cluster.from_url(
                store_url.redis_url,
                prefix=store_url.prefix,
                node_timeout=self.config.store.node_timeout_seconds,
            ),
            message_bytes=lambda role: (
                lim.visitor_message_bytes if role == "visitor" else lim.agent_message_bytes
            ),
            room_ops={**supervision.OPS, **invite_ops.OPS},
            on_protocol_error=lambda code: self.metrics.error("protocol_" + code),
            capture=None if self.recorder is None else self.recorder.capture,
        )
        self.live_snapshot = LiveSnapshot()  # server/console_api.py
        self.guards = guards_from_url(self.config.store.url, guard_rules(self.config))
        self.join_limiter = Limiter(self.guards, "join")
        self.join_global = Ceiling(self.guards, "join")
        self.create_limiter = Limiter(self.guards, "create")
        self.login_limiter = Limiter(self.guards, "login")
        self.sockets = ConnectionCaps(
            per_address=lim.connections_per_address, per_session=lim.connections_per_session
        )
        self.link_secret = load_link_secret(self.config)
        self.form_key = derive_form_key(self.link_secret)
        self.link_keys = load_link_keys(self.config)
        self.accounts = AccountStore(accounts_path(self.config))
        self.api_keys = ApiKeyStore(api_keys_path(self.config), configured=auth.api_keys)
        self.oidc = (
            OidcClient(
                auth=auth,
                logins=self.guards,
                redirect_uri=auth.oidc_redirect_url
                or f"{self.config.base_url}/agent/oidc/callback",
            )
            if auth.oidc_issuer
            else None
        )

    def join_attempted(
        self,
        *,
        agent: str,
        agent_id: str,
        via: str,
        address: str,
        outcome: str,
        session_id: str | None = None,
    ) -> None:
        """Every join attempt, once, with its outcome: "joined", "wrong_pin",
        "locked_out" (this agent or address is throttled) or "paused" (the global
        ceiling); `agent_id` is who they are ("account:asha", "sso:<sub>",
        "link:<name>"), `via` how they signed in ("link", "account", "sso").
        Logged, and kept in the audit log; the PIN typed is never passed on."""
        self.audit.record(
            a.AuditEntry(
                at=self.clock(),
                kind=a.Kind.JOIN_ATTEMPTED,
                actor=a.agent_actor(agent),
                session_id=session_id,
                address=address,
                outcome=JOIN_OUTCOMES.get(outcome, outcome),
                detail=f"join attempt: {JOIN_OUTCOMES.get(outcome, outcome).replace('_', ' ')}",
                data={"agent_id": agent_id, "via": via},
            )
        )
        audit_log.info(
            "join %s agent=%r id=%r via=%s address=%s session=%s",
            outcome,
            agent,
            agent_id,
            via,
            address,
            session_id or "-",
            extra={"session_id": session_id} if session_id else None,
        )

    def _sessions_by_state(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for room in self.hub.rooms.values():  # the sessions this node runs
            state = room.session.state.value
            counts[state] = counts.get(state, 0) + 1
        return counts

    def _replay_buffer_bytes(self) -> int:
        """Frames the rooms hold for a late-joining agent and for resumes."""
        return sum(room.agent_log.size + room.visitor_log.size for room in self.hub.rooms.values())

    async def _ended(self, session_id: str) -> None:
        recorder = self.recorder
        if recorder is not None and session_id in recorder.recording:
            if self.config.proxy.mode == "proxy":  # its asset URLs die with it: keep them
                try:
                    kept = await session_assets(self.proxy, self.config.masking_rules, session_id)
                    recorder.add_assets(session_id, kept, now=self.clock())
                except Exception:
                    log.exception(
                        "a recording's assets were not kept", extra={"session_id": session_id}
                    )
            recorder.finish(session_id, now=self.clock())
        await self.proxy.forget(session_id, now=self.clock())

    async def _prepare_view(self, session_id: str) -> None:
        if self.config.proxy.mode == "proxy":
            await self.proxy.load_view(session_id)

    def _agent_view(self, session_id: str, frame: bytes) -> bytes:
        if self.config.proxy.mode != "proxy":  # no proxy hosts in the page data
            return frame
        for old, new in self.proxy.agent_view(session_id, self.config.base_url):
            frame = frame.replace(old, new)
        return frame


def secure_data(config: Config) -> None:
    """The data directory and every file the server keeps there (or where the
    configuration puts them) made owner-only before anything is read or written; each
    change is logged (store/private_files.py)."""
    data_dir = Path(config.server.data_dir)
    paths = [data_dir, data_dir / SECRET_FILE, accounts_path(config), api_keys_path(config)]
    scheme, sep, rest = config.audit_url.partition(":///")
    database = sqlite_file(rest) if sep and scheme.startswith("sqlite") else None
    if database is not None:
        paths.append(database)
    tighten_all(list(dict.fromkeys(paths)))


def guard_rules(config: Config) -> GuardRules:
    """The limits of `[limits]` and `[auth]` as the guard store enforces them."""
    lim = config.limits
    return GuardRules(
        limiters={
            "join": Policy(
                free_failures=lim.join_free_failures,
                lockout_failures=lim.join_lockout_failures,
                base_delay=lim.join_base_delay_seconds,
                max_delay=lim.join_max_delay_seconds,
                window=lim.join_window_seconds,
            ),
            "create": CREATE_POLICY,
            "login": Policy(
                free_failures=lim.login_free_failures,
                lockout_failures=lim.login_lockout_failures,
                base_delay=lim.join_base_delay_seconds,
                max_delay=lim.join_max_delay_seconds,
                window=lim.login_window_seconds,
            ),
        },
        ceilings={"join": Window(limit=lim.join_global_failures_per_minute, window=60.0)},
        agent_ttl=config.auth.agent_cookie_ttl_seconds,
    )


def get_context(conn: HTTPConnection) -> Context:
    ctx = conn.app.state.ctx
    assert isinstance(ctx, Context)
    return ctx


def client_address(request: Request | HTTPConnection) -> str:
    return request.client.host if request.client else "unknown"
