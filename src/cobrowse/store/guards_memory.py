"""The guards in one process's memory: today's limiters, replay cache, sign-ins and SSO
logins, behind the async GuardStore Protocol (store/guards.py). Limits and rules are
those of core/ratelimit.py and core/links.py, used as they are."""

from __future__ import annotations

import secrets

from cobrowse.core.links import AgentLink, ReplayCache
from cobrowse.core.ratelimit import FailureLimiter, Verdict, WindowCounter
from cobrowse.core.roles import Role
from cobrowse.store.guards import (
    CONSOLE_TTL,
    MAX_CONSOLES,
    Agent,
    GuardRules,
    Pending,
    check_max_pending,
    new_agent,
    usable_cookie,
)


class MemoryGuardStore:
    def __init__(self, rules: GuardRules) -> None:
        self.rules = rules
        self._limiters = {name: FailureLimiter(p) for name, p in rules.limiters.items()}
        self._ceilings = {
            name: WindowCounter(limit=c.limit, window=c.window)
            for name, c in rules.ceilings.items()
        }
        self._links = ReplayCache(max_entries=rules.max_links)
        self._agents: dict[str, Agent] = {}
        self._pending: dict[str, Pending] = {}
        self._consoles: dict[str, tuple[Agent, float]] = {}  # by agent id: (agent, until)

    # --- limiters, ceilings -----------------------------------------------------------

    def _limiter(self, name: str) -> FailureLimiter:
        self.rules.policy(name)  # ValueError for an unknown name
        return self._limiters[name]

    def _ceiling(self, name: str) -> WindowCounter:
        self.rules.ceiling(name)
        return self._ceilings[name]

    async def attempt(self, limiter: str, keys: list[str], *, now: float) -> Verdict:
        return self._limiter(limiter).attempt(keys, now=now)

    async def forgive(self, limiter: str, keys: list[str], *, now: float) -> None:
        self._limiter(limiter).forgive(keys, now=now)

    async def failures(self, limiter: str, key: str, *, now: float) -> int:
        return self._limiter(limiter).failures(key, now=now)

    async def ceiling_attempt(self, name: str, *, now: float) -> float:
        return self._ceiling(name).attempt(now=now)

    async def ceiling_forgive(self, name: str, *, now: float) -> None:
        self._ceiling(name).forgive(now=now)

    async def ceiling_count(self, name: str, *, now: float) -> int:
        return self._ceiling(name).count(now=now)

    # --- links, sign-ins ----------------------------------------------------------------

    async def use_link(self, link: AgentLink, *, now: float) -> bool:
        return self._links.use(link, now=now)

    async def sign_in(
        self,
        name: str,
        *,
        now: float,
        via: str = "link",
        subject: str | None = None,
        role: Role = Role.AGENT,
        team: str | None = None,
    ) -> str:
        self._agents = {k: a for k, a in self._agents.items() if a.expires_at > now}
        cookie = secrets.token_urlsafe(32)
        self._agents[cookie] = new_agent(
            name,
            now=now,
            ttl=self.rules.agent_ttl,
            via=via,
            subject=subject,
            role=role,
            team=team,
        )
        return cookie

    async def agent(self, cookie: str | None, *, now: float) -> Agent | None:
        if not usable_cookie(cookie):
            return None
        agent = self._agents.get(cookie or "")
        if agent is None or agent.expires_at <= now:
            return None
        return agent

    async def sign_out(self, cookie: str | None) -> None:
        if cookie:
            self._agents.pop(cookie, None)

    # --- SSO logins ---------------------------------------------------------------------

    async def begin_login(
        self, state: str, pending: Pending, *, now: float, max_pending: int
    ) -> None:
        check_max_pending(max_pending)
        self._pending = {s: p for s, p in self._pending.items() if p.expires_at > now}
        while len(self._pending) >= max_pending:  # bounded: the oldest make room
            del self._pending[next(iter(self._pending))]
        self._pending[state] = pending

    async def take_login(self, state: str, *, now: float) -> Pending | None:
        pending = self._pending.pop(state, None)
        if pending is None or pending.expires_at <= now:
            return None
        return pending

    # --- consoles open ------------------------------------------------------------------

    async def seen_console(self, agent: Agent, *, now: float) -> None:
        self._consoles = {k: v for k, v in self._consoles.items() if v[1] > now}
        if agent.id in self._consoles or len(self._consoles) < MAX_CONSOLES:
            self._consoles[agent.id] = (agent, now + CONSOLE_TTL)

    async def consoles(self, *, now: float) -> list[Agent]:
        return [agent for agent, until in self._consoles.values() if until > now]

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None
