"""Prometheus metrics: one registry per app (never the process-wide default), so each
app (and each test) counts on its own. Served by GET /metrics (server/monitoring.py).

Label values come from fixed vocabularies in code, never from input: no URL, host,
session id, agent or other user value is ever a label, so the series stay few.

Counted where things happen (plain methods, cheap enough for the relay's hot path;
the relay's own counts are plain numbers, turned into series only when scraped):

    relayed(direction, frames=, nbytes=)   frames and bytes sent to an agent or visitor
    relay_latency(seconds)                 from a frame's arrival to its fan-out
    error(kind)                            e.g. "internal", "protocol_bad_message"
    join(outcome)                          each POST /api/v1/join, by outcome
    proxy_request(status), proxy_upstream(seconds)
    js_rewrite(outcome)                    each script the proxy meant to rewrite, by outcome
    webhook(outcome)                       each webhook delivery's attempts and end, by outcome

Computed at scrape time from callbacks: sessions by state, replay buffer bytes.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from cobrowse.core.session import State

__all__ = [
    "CONTENT_TYPE",
    "ERROR_KINDS",
    "JOIN_OUTCOMES",
    "JS_REWRITE_OUTCOMES",
    "WEBHOOK_OUTCOMES",
    "Direction",
    "JsRewriteOutcome",
    "Metrics",
    "WebhookOutcome",
]

CONTENT_TYPE: Final = CONTENT_TYPE_LATEST

Direction = Literal["to_agent", "to_visitor"]
DIRECTIONS: Final[tuple[Direction, ...]] = ("to_agent", "to_visitor")

JoinOutcome = Literal[
    "ok", "wrong_pin", "expired", "throttled", "paused", "not_signed_in", "cross_origin"
]
JOIN_OUTCOMES: Final[tuple[JoinOutcome, ...]] = (
    "ok",  # admitted
    "wrong_pin",  # no session has that PIN
    "expired",  # the PIN's session exists but cannot be joined (expired, used, ended)
    "throttled",  # this agent or address is slowed down past the lockout (429)
    "paused",  # too many wrong PINs from everyone: joining is paused (429)
    "not_signed_in",  # no agent sign-in (401)
    "cross_origin",  # called from another origin than the console (403)
)

JsRewriteOutcome = Literal["rewritten", "unchanged", "unparsed", "too_large", "cached"]
JS_REWRITE_OUTCOMES: Final[tuple[JsRewriteOutcome, ...]] = (
    "rewritten",  # parsed now, and edited
    "unchanged",  # parsed now (or not at all: no trigger word), nothing to edit
    "unparsed",  # tree-sitter found syntax errors: served as it came
    "too_large",  # above proxy.max_script_rewrite_bytes: served as it came, never parsed
    "cached",  # the edit list came from the cache (parsed before, or by a concurrent request)
)

WebhookOutcome = Literal["delivered", "retried", "failed", "dropped"]
WEBHOOK_OUTCOMES: Final[tuple[WebhookOutcome, ...]] = (
    "delivered",  # the receiver answered 2xx
    "retried",  # an attempt failed (network, timeout, 5xx, 429): another will come
    "failed",  # refused (another 4xx, a redirect) or out of attempts: given up
    "dropped",  # the queue was full: the oldest waiting delivery was dropped
)

# Kinds counted from the start (shown as 0); others may be added by the code that
# counts them, as long as they are fixed words of that code (see `error`).
ERROR_KINDS: Final = (
    "internal",  # an unhandled exception answered 500 (app or proxy)
    "proxy_upstream_failed",  # the site did not answer, or broke off
    "proxy_upstream_timeout",
    "proxy_address_refused",  # the site resolved to an address the proxy may not reach
    "store_unavailable",  # the session store did not answer /readyz in time
)
_KIND = re.compile(r"[a-z][a-z0-9_]{0,47}")

# From a frame's arrival to its fan-out: a millisecond to a second.
RELAY_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
# The proxy's upstream answer (to its headers): 10 ms to the default 30 s timeout.
UPSTREAM_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _none() -> Mapping[str, int]:
    return {}


def _zero() -> int:
    return 0


class _Computed:
    """The gauges read from live state when Prometheus scrapes."""

    def __init__(
        self,
        sessions_by_state: Callable[[], Mapping[str, int]],
        replay_buffer_bytes: Callable[[], int],
        recording_frames_lost: Callable[[], int] = _zero,
    ) -> None:
        self.sessions_by_state = sessions_by_state
        self.replay_buffer_bytes = replay_buffer_bytes
        self.recording_frames_lost = recording_frames_lost

    def describe(self) -> Iterable[Metric]:
        """Names only: registering must not call the callbacks (nothing exists yet)."""
        return [self._sessions({}), self._replay(0), self._lost(0)]

    def collect(self) -> Iterable[Metric]:
        return [
            self._sessions(self.sessions_by_state()),
            self._replay(self.replay_buffer_bytes()),
            self._lost(self.recording_frames_lost()),
        ]

    @staticmethod
    def _lost(count: int) -> Metric:
        return CounterMetricFamily(
            "cobrowse_recording_frames_lost",
            "Frames of recorded sessions that could not be kept (queue full, storage failed).",
            value=count,
        )

    @staticmethod
    def _sessions(counts: Mapping[str, int]) -> Metric:
        family = GaugeMetricFamily(
            "cobrowse_sessions", "Live sessions on this node, by state.", labels=["state"]
        )
        for state in State:
            family.add_metric([state.value], counts.get(state.value, 0))
        return family

    @staticmethod
    def _replay(size: int) -> Metric:
        return GaugeMetricFamily(
            "cobrowse_replay_buffer_bytes",
            "Bytes of frames the sessions hold for late-joining agents and resumes.",
            value=size,
        )


class _Relay:
    """What the relay counts on every frame, as plain numbers: a prometheus_client
    Counter or Histogram takes a lock per call, several microseconds a frame."""

    def __init__(self) -> None:
        self.frames = dict.fromkeys(DIRECTIONS, 0)
        self.bytes = dict.fromkeys(DIRECTIONS, 0)
        self.buckets = [0] * (len(RELAY_BUCKETS) + 1)  # the last: above every bound
        self.latency_sum = 0.0

    def describe(self) -> Iterable[Metric]:
        return self.collect()

    def collect(self) -> Iterable[Metric]:
        frames = CounterMetricFamily(
            "cobrowse_frames_relayed", "WebSocket frames relayed, by direction.",
            labels=["direction"],
        )  # fmt: skip
        sent = CounterMetricFamily(
            "cobrowse_relayed_bytes", "Bytes relayed over WebSockets, by direction.",
            labels=["direction"],
        )  # fmt: skip
        for direction in DIRECTIONS:
            frames.add_metric([direction], self.frames[direction])
            sent.add_metric([direction], self.bytes[direction])
        cumulative, total = [], 0
        for bound, count in zip((*map(str, RELAY_BUCKETS), "+Inf"), self.buckets, strict=True):
            total += count
            cumulative.append((bound, total))
        latency = HistogramMetricFamily(
            "cobrowse_relay_latency_seconds",
            "Time from a frame's arrival to its fan-out to the other side.",
            buckets=cumulative,
            sum_value=self.latency_sum,
        )
        return [frames, sent, latency]


class Metrics:
    """The app's counters and histograms, in a registry of its own."""

    def __init__(
        self,
        *,
        sessions_by_state: Callable[[], Mapping[str, int]] = _none,
        replay_buffer_bytes: Callable[[], int] = _zero,
        recording_frames_lost: Callable[[], int] = _zero,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.computed = _Computed(sessions_by_state, replay_buffer_bytes, recording_frames_lost)
        reg.register(self.computed)
        self.joins = Counter(
            "cobrowse_joins",
            "Join attempts (POST /api/v1/join), by outcome.",
            ["outcome"],
            registry=reg,
        )
        self.relay = _Relay()
        reg.register(self.relay)
        self.proxy_requests = Counter(
            "cobrowse_proxy_requests",
            "HTTP requests to proxy hosts, by response status ('none': no answer sent).",
            ["code"],
            registry=reg,
        )
        self.upstream = Histogram(
            "cobrowse_proxy_upstream_seconds",
            "Time until the upstream site's response headers (proxy mode).",
            buckets=UPSTREAM_BUCKETS,
            registry=reg,
        )
        self.errors = Counter(
            "cobrowse_errors",
            "Errors, by kind (fixed words, never input).",
            ["kind"],
            registry=reg,
        )
        self.js_rewrites = Counter(
            "cobrowse_js_rewrite",
            "Scripts (external, inline, handlers) the proxy meant to rewrite, by outcome.",
            ["outcome"],
            registry=reg,
        )
        self.webhooks = Counter(
            "cobrowse_webhook_deliveries",
            "Webhook deliveries and their attempts, by outcome (docs/webhooks.md).",
            ["outcome"],
            registry=reg,
        )
        self.webhook_queue = Gauge(
            "cobrowse_webhook_queue",
            "Webhook deliveries waiting on this node (queued or before a retry).",
            registry=reg,
        )
        self._webhooks = {o: self.webhooks.labels(outcome=o) for o in WEBHOOK_OUTCOMES}
        self._joins = {o: self.joins.labels(outcome=o) for o in JOIN_OUTCOMES}
        self._proxy_codes: dict[str, Any] = {}  # code -> its child (labels() locks, per call)
        self._js = {o: self.js_rewrites.labels(outcome=o) for o in JS_REWRITE_OUTCOMES}
        for kind in ERROR_KINDS:
            self.errors.labels(kind=kind)

    # --- counting -----------------------------------------------------------------

    def relayed(self, direction: Direction, *, frames: int = 1, nbytes: int) -> None:
        """`frames` WebSocket frames of `nbytes` bytes in all, sent `direction`."""
        relay = self.relay
        relay.frames[direction] += frames
        relay.bytes[direction] += nbytes

    def relay_latency(self, seconds: float) -> None:
        relay = self.relay
        relay.buckets[bisect_left(RELAY_BUCKETS, seconds)] += 1
        relay.latency_sum += seconds

    def error(self, kind: str) -> None:
        """One error of `kind`: a fixed word of the calling code (lower case, digits,
        underscores), e.g. "internal" or "protocol_" + a close code's name. Anything
        else is counted as "other", so no input can ever make a series."""
        self.errors.labels(kind=kind if _KIND.fullmatch(kind) else "other").inc()

    def join(self, outcome: JoinOutcome) -> None:
        self._joins[outcome].inc()

    def proxy_request(self, status: int) -> None:
        code = str(status) if 100 <= status <= 599 else "none"
        child = self._proxy_codes.get(code)
        if child is None:
            child = self._proxy_codes[code] = self.proxy_requests.labels(code=code)
        child.inc()

    def proxy_upstream(self, seconds: float) -> None:
        self.upstream.observe(seconds)

    def js_rewrite(self, outcome: JsRewriteOutcome) -> None:
        self._js[outcome].inc()

    def webhook(self, outcome: WebhookOutcome) -> None:
        self._webhooks[outcome].inc()

    # --- reading ------------------------------------------------------------------

    def render(self) -> bytes:
        """The Prometheus text exposition of everything above."""
        return generate_latest(self.registry)
