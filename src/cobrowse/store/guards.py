"""The guards behind one async Protocol: what stops guessing, replay and stale sign-ins.

Four kinds of state, which every node must agree on (memory: one process; Redis: a
cluster of nodes, store/guards_redis.py):

- failure limiters (wrong PINs, wrong passwords, sessions created) per key, and
  ceilings (wrong PINs per minute from everyone together), with the rules of
  core/ratelimit.py;
- used CRM sign-in links (each `jti` works once), with the rule of core/links.py;
- signed-in agents, by cookie (sign-out is immediate everywhere);
- SSO logins under way, by `state` (single use, expire).

Times (`now`) are the caller's clock, in seconds; what a store expires by itself (Redis
TTLs) are durations derived from them, never clock values. A store that cannot answer
raises GuardUnavailable, and the caller refuses (fails closed): a limiter that does not
answer is never read as "no failures", a sign-in that cannot be checked is no sign-in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from cobrowse.core.links import MAX_REPLAY_ENTRIES, AgentLink
from cobrowse.core.ratelimit import Policy, Verdict
from cobrowse.core.roles import Role

MAX_COOKIE = 512  # longer cookies are no cookie of ours (ours are 43 characters)
MAX_STATE = 512
CONSOLE_TTL = 30.0  # a console that has not asked for its Sessions list since is closed
MAX_CONSOLES = 10_000


class GuardUnavailable(RuntimeError):
    """The shared store did not answer (or answered nonsense): refuse, do not allow."""


@dataclass(frozen=True, slots=True)
class Agent:
    name: str  # what the visitor sees; two agents may share one
    expires_at: float
    via: str = "link"  # how they signed in: "link", "account" or "sso"
    id: str = ""  # who they are: "link:<name>", "account:<username>", "sso:<sub>"
    role: Role = Role.AGENT  # what they may do in the console (core/roles.py)
    team: str | None = None  # whose sessions a supervisor of it sees


def agent_json(agent: Agent) -> dict[str, object]:
    return {
        "n": agent.name,
        "e": agent.expires_at,
        "v": agent.via,
        "i": agent.id,
        "r": agent.role.value,
        "t": agent.team,
    }


def new_agent(
    name: str,
    *,
    now: float,
    ttl: float,
    via: str,
    subject: str | None,
    role: Role = Role.AGENT,
    team: str | None = None,
) -> Agent:
    """A sign-in's agent. `subject` is their stable id within `via` (the account's
    username, the SSO `sub`); a CRM link vouches for the name alone."""
    agent_id = f"{via}:{subject if subject is not None else name}"
    return Agent(name=name, expires_at=now + ttl, via=via, id=agent_id, role=role, team=team)


@dataclass(frozen=True, slots=True)
class Pending:
    """An SSO login under way: what the callback needs to finish it."""

    nonce: str
    verifier: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class Window:
    """At most `limit` counted events in any `window` seconds (core/ratelimit.WindowCounter)."""

    limit: int
    window: float = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardRules:
    """What a guard store enforces: the policies by limiter name, the ceilings by name,
    how long a sign-in lasts, and how many used links it remembers at most."""

    limiters: Mapping[str, Policy] = field(default_factory=dict)
    ceilings: Mapping[str, Window] = field(default_factory=dict)
    agent_ttl: float = 8 * 3600.0
    max_links: int = MAX_REPLAY_ENTRIES

    def __post_init__(self) -> None:
        for name, policy in self.limiters.items():
            if policy.window <= 0 or policy.lockout_failures < 1:
                raise ValueError(f"limiter {name!r}: window and lockout must be positive")
        for name, ceiling in self.ceilings.items():
            if ceiling.window <= 0 or ceiling.limit < 1:
                raise ValueError(f"ceiling {name!r}: window and limit must be positive")
        if self.agent_ttl <= 0 or self.max_links < 1:
            raise ValueError("agent_ttl and max_links must be positive")

    def policy(self, limiter: str) -> Policy:
        try:
            return self.limiters[limiter]
        except KeyError:
            raise ValueError(f"no limiter named {limiter!r}") from None

    def ceiling(self, name: str) -> Window:
        try:
            return self.ceilings[name]
        except KeyError:
            raise ValueError(f"no ceiling named {name!r}") from None


class GuardStore(Protocol):
    """Limiters, ceilings, used links, sign-ins and SSO logins, shared by every node that
    uses the same store. Unknown limiter or ceiling names raise ValueError; a store that
    does not answer raises GuardUnavailable."""

    rules: GuardRules

    # --- failure limiters (core/ratelimit.FailureLimiter) ------------------------------

    async def attempt(self, limiter: str, keys: list[str], *, now: float) -> Verdict:
        """Check `keys` and, unless refused, count a failure for each up front (atomic:
        parallel guesses on any nodes cannot all pass on one stale count)."""
        ...

    async def forgive(self, limiter: str, keys: list[str], *, now: float) -> None:
        """Take back one failure of each key (the attempt turned out a success)."""
        ...

    async def failures(self, limiter: str, key: str, *, now: float) -> int: ...

    # --- ceilings (core/ratelimit.WindowCounter) ---------------------------------------

    async def ceiling_attempt(self, name: str, *, now: float) -> float:
        """Count an event and return 0, or return the seconds to wait (nothing counted)."""
        ...

    async def ceiling_forgive(self, name: str, *, now: float) -> None:
        """Take back the latest event."""
        ...

    async def ceiling_count(self, name: str, *, now: float) -> int: ...

    # --- CRM links (core/links.ReplayCache) --------------------------------------------

    async def use_link(self, link: AgentLink, *, now: float) -> bool:
        """True the first time a link id is used; False on replay, or when
        `rules.max_links` used links are remembered (fail closed)."""
        ...

    # --- signed-in agents --------------------------------------------------------------

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
        """A new cookie for an agent, good for `rules.agent_ttl` seconds."""
        ...

    async def agent(self, cookie: str | None, *, now: float) -> Agent | None: ...

    async def sign_out(self, cookie: str | None) -> None: ...

    # --- SSO logins under way ----------------------------------------------------------

    async def begin_login(
        self, state: str, pending: Pending, *, now: float, max_pending: int
    ) -> None:
        """Remember a login until `pending.expires_at`. At most `max_pending` are kept:
        the oldest make room (anyone may start one)."""
        ...

    async def take_login(self, state: str, *, now: float) -> Pending | None:
        """The login started with `state`, used up: a second take gets None, as does
        an expired one."""
        ...

    # --- consoles open (who a session may be transferred to) -------------------------

    async def seen_console(self, agent: Agent, *, now: float) -> None:
        """`agent` has the console open now (kept for CONSOLE_TTL seconds)."""
        ...

    async def consoles(self, *, now: float) -> list[Agent]:
        """The agents whose console was open within CONSOLE_TTL seconds, one per id."""
        ...

    async def ping(self) -> bool:
        """Whether the store answers; never raises."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Limiter:
    """One named limiter of a store, for the handlers: `await ctx.join_limiter.attempt(...)`."""

    store: GuardStore
    name: str

    async def attempt(self, keys: list[str], *, now: float) -> Verdict:
        return await self.store.attempt(self.name, keys, now=now)

    async def forgive(self, keys: list[str], *, now: float) -> None:
        await self.store.forgive(self.name, keys, now=now)

    async def failures(self, key: str, *, now: float) -> int:
        return await self.store.failures(self.name, key, now=now)


@dataclass(frozen=True, slots=True)
class Ceiling:
    """One named ceiling of a store."""

    store: GuardStore
    name: str

    async def attempt(self, *, now: float) -> float:
        return await self.store.ceiling_attempt(self.name, now=now)

    async def forgive(self, *, now: float) -> None:
        await self.store.ceiling_forgive(self.name, now=now)

    async def count(self, *, now: float) -> int:
        return await self.store.ceiling_count(self.name, now=now)


def usable_cookie(cookie: str | None) -> bool:
    return bool(cookie) and len(cookie or "") <= MAX_COOKIE


def check_max_pending(max_pending: int) -> None:
    if max_pending < 1:
        raise ValueError("max_pending must be at least 1")
