"""The session state machine: every transition, every deadline, never back from ended."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from cobrowse.core.session import EndReason, InvalidTransition, Session, State, Timeouts

T0 = 1_000_000.0
TIMEOUTS = Timeouts(
    pin_ttl=600.0,
    consent_timeout=120.0,
    visitor_grace=30.0,
    agent_grace=90.0,
    max_duration=3600.0,
)
EPS = 1e-6


def new(**kw: object) -> Session:
    return Session(id="s_test", pin="123456", created_at=T0, timeouts=TIMEOUTS, **kw)  # type: ignore[arg-type]


def pending(at: float = T0 + 10) -> Session:
    s = new()
    s.join(agent_name="Asha", now=at)
    return s


def active(at: float = T0 + 10) -> Session:
    s = pending(at)
    s.consent(allow=True, now=at + 5)
    return s


def test_defaults() -> None:
    t = Timeouts()
    assert (t.pin_ttl, t.consent_timeout, t.visitor_grace, t.agent_grace, t.max_duration) == (
        600.0,
        120.0,
        30.0,
        120.0,
        4 * 3600.0,
    )
    s = new()
    assert s.state is State.CREATED
    assert s.live
    assert s.agent_name is None and s.joined_at is None and s.end_reason is None
    assert s.pin_expires_at == T0 + 600


def test_state_values_are_the_wire_names() -> None:
    assert [str(s) for s in State] == ["created", "pending", "active", "ended"]
    assert {str(r) for r in EndReason} == {
        "visitor_stopped",
        "agent_left",
        "denied",
        "pin_expired",
        "consent_timeout",
        "visitor_gone",
        "agent_gone",
        "max_duration",
        "admin",
    }


# --- transitions ------------------------------------------------------------------


def test_join_moves_to_pending() -> None:
    s = new()
    s.join(agent_name="Asha", now=T0 + 10)
    assert s.state is State.PENDING
    assert s.agent_name == "Asha"
    assert s.joined_at == T0 + 10
    assert s.live


def test_join_records_who_was_admitted() -> None:
    s = new()
    s.join(agent_name="Asha Rao", agent_key="sign-in-digest", now=T0 + 10)
    assert (s.agent_name, s.agent_key) == ("Asha Rao", "sign-in-digest")
    plain = new()
    plain.join(agent_name="Asha", now=T0 + 10)  # no sign-in given: nobody is admitted by it
    assert plain.agent_key is None


def test_allow_moves_to_active() -> None:
    s = pending()
    s.consent(allow=True, now=T0 + 20)
    assert s.state is State.ACTIVE
    assert s.ended_at is None and s.end_reason is None


def test_deny_ends_with_denied() -> None:
    s = pending()
    s.consent(allow=False, now=T0 + 20)
    assert s.state is State.ENDED
    assert s.end_reason is EndReason.DENIED
    assert s.ended_at == T0 + 20
    assert not s.live


@pytest.mark.parametrize("make", [new, pending, active], ids=["created", "pending", "active"])
@pytest.mark.parametrize("reason", list(EndReason))
def test_end_from_every_live_state(make: object, reason: EndReason) -> None:
    s = make()  # type: ignore[operator]
    assert s.end(reason, now=T0 + 50) is True
    assert s.state is State.ENDED
    assert s.end_reason is reason
    assert s.ended_at == T0 + 50
    assert not s.live


def test_end_is_idempotent_and_keeps_the_first_reason() -> None:
    s = active()
    assert s.end(EndReason.VISITOR_STOPPED, now=T0 + 50) is True
    assert s.end(EndReason.AGENT_LEFT, now=T0 + 60) is False
    assert s.end(EndReason.VISITOR_STOPPED, now=T0 + 70) is False
    assert s.end_reason is EndReason.VISITOR_STOPPED
    assert s.ended_at == T0 + 50
    assert s.state is State.ENDED


@pytest.mark.parametrize("make", [pending, active], ids=["pending", "active"])
def test_join_twice_is_invalid(make: object) -> None:
    s = make()  # type: ignore[operator]
    before = (s.state, s.agent_name, s.joined_at)
    with pytest.raises(InvalidTransition):
        s.join(agent_name="Mallory", now=T0 + 11)
    assert (s.state, s.agent_name, s.joined_at) == before


def test_join_ended_is_invalid() -> None:
    s = new()
    s.end(EndReason.VISITOR_STOPPED, now=T0 + 1)
    with pytest.raises(InvalidTransition, match="ended"):
        s.join(agent_name="Asha", now=T0 + 2)
    assert s.state is State.ENDED and s.agent_name is None


@pytest.mark.parametrize("allow", [True, False])
def test_consent_without_request_is_invalid(allow: bool) -> None:
    s = new()
    with pytest.raises(InvalidTransition, match="created"):
        s.consent(allow=allow, now=T0 + 1)
    assert s.state is State.CREATED and s.live


@pytest.mark.parametrize("allow", [True, False])
def test_consent_twice_is_invalid(allow: bool) -> None:
    s = active()
    with pytest.raises(InvalidTransition):
        s.consent(allow=allow, now=T0 + 30)
    assert s.state is State.ACTIVE


@pytest.mark.parametrize("allow", [True, False])
def test_consent_after_end_is_invalid(allow: bool) -> None:
    s = pending()
    s.end(EndReason.AGENT_LEFT, now=T0 + 20)
    with pytest.raises(InvalidTransition):
        s.consent(allow=allow, now=T0 + 21)
    assert s.state is State.ENDED and s.end_reason is EndReason.AGENT_LEFT


def test_invalid_transition_is_an_exception_not_a_value_error() -> None:
    assert issubclass(InvalidTransition, Exception)
    assert not issubclass(InvalidTransition, ValueError)


# --- the PIN ----------------------------------------------------------------------


def test_pin_usable_until_expiry() -> None:
    s = new()
    assert s.pin_usable(T0)
    assert s.pin_usable(T0 + 600 - EPS)
    assert not s.pin_usable(T0 + 600)
    assert not s.pin_usable(T0 + 10_000)


def test_join_with_expired_pin_is_invalid() -> None:
    s = new()
    with pytest.raises(InvalidTransition):
        s.join(agent_name="Asha", now=T0 + 600)
    assert s.state is State.CREATED and s.agent_name is None


def test_join_just_before_expiry_works() -> None:
    s = new()
    s.join(agent_name="Asha", now=T0 + 600 - EPS)
    assert s.state is State.PENDING


def test_pin_not_usable_after_join_or_end() -> None:
    assert not pending().pin_usable(T0 + 11)
    assert not active().pin_usable(T0 + 20)
    s = new()
    s.end(EndReason.ADMIN, now=T0 + 1)
    assert not s.pin_usable(T0 + 2)


# --- deadlines --------------------------------------------------------------------


def test_nothing_due_on_a_fresh_session() -> None:
    s = new()
    assert s.due(T0) is None
    assert s.due(T0 + 300) is None


def test_pin_expiry_boundary() -> None:
    s = new()
    assert s.due(T0 + 600 - EPS) is None
    assert s.due(T0 + 600) is EndReason.PIN_EXPIRED
    assert s.due(T0 + 601) is EndReason.PIN_EXPIRED


def test_pin_expiry_does_not_apply_once_joined() -> None:
    s = pending(T0 + 590)
    assert s.due(T0 + 600) is None
    s.consent(allow=True, now=T0 + 595)
    assert s.due(T0 + 700) is None


def test_consent_timeout_boundary() -> None:
    s = pending(T0 + 10)
    assert s.due(T0 + 130 - EPS) is None
    assert s.due(T0 + 130) is EndReason.CONSENT_TIMEOUT


def test_consent_timeout_does_not_apply_once_active() -> None:
    s = active(T0 + 10)
    assert s.due(T0 + 130) is None
    assert s.due(T0 + 1000) is None


def test_visitor_grace_boundary_when_active() -> None:
    s = active()
    s.presence(role="visitor", connected=False, now=T0 + 100)
    assert s.visitor_left_at == T0 + 100
    assert s.due(T0 + 130 - EPS) is None
    assert s.due(T0 + 130) is EndReason.VISITOR_GONE


def test_visitor_grace_applies_while_created() -> None:
    s = new()
    s.presence(role="visitor", connected=False, now=T0 + 100)
    assert s.due(T0 + 130 - EPS) is None
    assert s.due(T0 + 130) is EndReason.VISITOR_GONE


def test_visitor_reconnect_clears_the_grace() -> None:
    s = active()
    s.presence(role="visitor", connected=False, now=T0 + 100)
    s.presence(role="visitor", connected=True, now=T0 + 110)
    assert s.visitor_left_at is None
    assert s.due(T0 + 500) is None


def test_agent_grace_boundary_when_active() -> None:
    s = active()
    s.presence(role="agent", connected=False, now=T0 + 100)
    assert s.agent_left_at == T0 + 100
    assert s.due(T0 + 190 - EPS) is None
    assert s.due(T0 + 190) is EndReason.AGENT_GONE


def test_agent_grace_applies_while_pending() -> None:
    s = pending(T0 + 10)
    s.presence(role="agent", connected=False, now=T0 + 11)
    assert s.due(T0 + 101 - EPS) is None
    assert s.due(T0 + 101) is EndReason.AGENT_GONE


def test_agent_grace_ignored_while_created() -> None:
    s = new()
    s.presence(role="agent", connected=False, now=T0 + 1)
    assert s.due(T0 + 200) is None


def test_agent_reconnect_clears_the_grace() -> None:
    s = active()
    s.presence(role="agent", connected=False, now=T0 + 100)
    s.presence(role="agent", connected=True, now=T0 + 150)
    assert s.agent_left_at is None
    assert s.due(T0 + 1000) is None


def test_max_duration_boundary() -> None:
    s = active()
    assert s.due(T0 + 3600 - EPS) is None
    assert s.due(T0 + 3600) is EndReason.MAX_DURATION


def test_max_duration_counts_from_creation_not_join() -> None:
    s = active(T0 + 500)
    assert s.due(T0 + 3600) is EndReason.MAX_DURATION


def test_nothing_is_due_once_ended() -> None:
    s = active()
    s.presence(role="visitor", connected=False, now=T0 + 20)
    s.end(EndReason.VISITOR_STOPPED, now=T0 + 21)
    assert s.due(T0 + 10**6) is None


def test_presence_of_one_role_does_not_touch_the_other() -> None:
    s = active()
    s.presence(role="visitor", connected=False, now=T0 + 100)
    assert s.agent_left_at is None
    s.presence(role="agent", connected=False, now=T0 + 101)
    assert s.visitor_left_at == T0 + 100


def test_earliest_relevant_reason_wins_in_priority_order() -> None:
    # Both gone long ago: the visitor leaving is reported first.
    s = active()
    s.presence(role="agent", connected=False, now=T0 + 20)
    s.presence(role="visitor", connected=False, now=T0 + 20)
    assert s.due(T0 + 200) is EndReason.VISITOR_GONE


def test_pin_expiry_before_visitor_grace_in_created() -> None:
    s = new()
    s.presence(role="visitor", connected=False, now=T0 + 590)
    assert s.due(T0 + 600) is EndReason.PIN_EXPIRED


def test_due_is_pure() -> None:
    s = pending()
    snapshot = (s.state, s.ended_at, s.end_reason)
    assert s.due(T0 + 10_000) is not None
    assert (s.state, s.ended_at, s.end_reason) == snapshot


# --- never back from ended --------------------------------------------------------

ops = st.lists(
    st.tuples(
        st.sampled_from(["join", "allow", "deny", "end", "vleave", "vback", "aleave", "aback"]),
        st.floats(0, 5000, allow_nan=False),
    ),
    max_size=30,
)


def apply(s: Session, op: str, now: float) -> None:
    try:
        if op == "join":
            s.join(agent_name="Asha", now=now)
        elif op in ("allow", "deny"):
            s.consent(allow=op == "allow", now=now)
        elif op == "end":
            s.end(EndReason.ADMIN, now=now)
        else:
            s.presence(
                role="visitor" if op[0] == "v" else "agent", connected=op.endswith("back"), now=now
            )
    except InvalidTransition:
        pass


@settings(max_examples=300, deadline=None)
@given(ops)
def test_random_sequences_never_leave_ended(seq: list[tuple[str, float]]) -> None:
    s = new()
    ended: tuple[object, object] | None = None
    for op, dt in seq:
        before = s.state
        apply(s, op, T0 + dt)
        if ended is not None:
            assert s.state is State.ENDED
            assert (s.end_reason, s.ended_at) == ended
            assert s.due(T0 + dt) is None
        elif s.state is State.ENDED:
            ended = (s.end_reason, s.ended_at)
        # Only the forward moves of the diagram ever happen.
        assert (before, s.state) in {
            (State.CREATED, State.CREATED),
            (State.CREATED, State.PENDING),
            (State.CREATED, State.ENDED),
            (State.PENDING, State.PENDING),
            (State.PENDING, State.ACTIVE),
            (State.PENDING, State.ENDED),
            (State.ACTIVE, State.ACTIVE),
            (State.ACTIVE, State.ENDED),
            (State.ENDED, State.ENDED),
        }


class SessionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.s = new()
        self.now = T0
        self.ended_with: tuple[object, object] | None = None

    @rule(dt=st.floats(0, 1000, allow_nan=False))
    def tick(self, dt: float) -> None:
        self.now += dt
        reason = self.s.due(self.now)
        if reason is not None:
            assert self.s.end(reason, now=self.now) is True

    @rule()
    def join(self) -> None:
        apply(self.s, "join", self.now)

    @rule(allow=st.booleans())
    def consent(self, allow: bool) -> None:
        apply(self.s, "allow" if allow else "deny", self.now)

    @rule(reason=st.sampled_from(list(EndReason)))
    def end(self, reason: EndReason) -> None:
        was_live = self.s.live
        assert self.s.end(reason, now=self.now) is was_live

    @rule(role=st.sampled_from(["visitor", "agent"]), connected=st.booleans())
    def presence(self, role: str, connected: bool) -> None:
        self.s.presence(role=role, connected=connected, now=self.now)

    @precondition(lambda self: self.s.state is State.ENDED)
    @rule()
    def remember_end(self) -> None:
        if self.ended_with is None:
            self.ended_with = (self.s.end_reason, self.s.ended_at)

    @invariant()
    def ended_is_final(self) -> None:
        if self.ended_with is not None:
            assert self.s.state is State.ENDED
            assert (self.s.end_reason, self.s.ended_at) == self.ended_with
            assert not self.s.pin_usable(self.now)
        if self.s.state is State.ENDED:
            assert self.s.end_reason is not None and self.s.ended_at is not None


TestSessionMachine = SessionMachine.TestCase
TestSessionMachine.settings = settings(max_examples=100, stateful_step_count=30, deadline=None)
