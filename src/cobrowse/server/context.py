"""Everything a request handler needs, built once per app and passed explicitly."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from starlette.requests import HTTPConnection

from cobrowse.config import Config
from cobrowse.core.links import ReplayCache
from cobrowse.core.origins import OriginList
from cobrowse.core.ratelimit import FailureLimiter, Policy
from cobrowse.core.throttle import ConnectionCaps
from cobrowse.server.auth import AgentSessions, load_link_secret
from cobrowse.server.hub import Hub
from cobrowse.server.proxy_state import ProxyState

STATIC_DIR = Path(__file__).parent / "static"

# Creating sessions is cheap for a visitor and must stay cheap for us.
CREATE_POLICY = Policy(
    free_failures=1_000_000, lockout_failures=60, base_delay=0, max_delay=0, window=600
)


@dataclass(slots=True)
class Context:
    config: Config
    clock: Callable[[], float] = time.time
    sleep_scale: float = 1.0  # tests may shrink the slow-down delays; never the counts
    hub: Hub = field(init=False)
    agents: AgentSessions = field(init=False)
    join_limiter: FailureLimiter = field(init=False)
    create_limiter: FailureLimiter = field(init=False)
    links: ReplayCache = field(default_factory=ReplayCache)
    link_secret: str = field(init=False)
    site_origins: OriginList = field(init=False)
    proxy: ProxyState = field(init=False)
    sockets: ConnectionCaps = field(init=False)

    def __post_init__(self) -> None:
        lim = self.config.limits
        self.site_origins = self.config.allowed_origins
        self.proxy = ProxyState(config=self.config, sites=self.site_origins)
        self.hub = Hub(
            config=self.config,
            clock=self.clock,
            agent_view=self._agent_view,
            on_end=self.proxy.forget,
            files_url=self.config.base_url,
        )
        self.agents = AgentSessions(ttl=self.config.auth.agent_cookie_ttl_seconds)
        self.join_limiter = FailureLimiter(
            Policy(
                free_failures=lim.join_free_failures,
                lockout_failures=lim.join_lockout_failures,
                base_delay=lim.join_base_delay_seconds,
                max_delay=lim.join_max_delay_seconds,
                window=lim.join_window_seconds,
            )
        )
        self.create_limiter = FailureLimiter(CREATE_POLICY)
        self.sockets = ConnectionCaps(
            per_address=lim.connections_per_address, per_session=lim.connections_per_session
        )
        self.link_secret = load_link_secret(self.config)

    def _agent_view(self, session_id: str, frame: bytes) -> bytes:
        for old, new in self.proxy.agent_view(session_id, self.config.base_url):
            frame = frame.replace(old, new)
        return frame


def get_context(conn: HTTPConnection) -> Context:
    ctx = conn.app.state.ctx
    assert isinstance(ctx, Context)
    return ctx


def client_address(request: Request | HTTPConnection) -> str:
    return request.client.host if request.client else "unknown"
