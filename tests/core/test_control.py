"""The control sub-state: the visitor grants, either side ends it."""

from __future__ import annotations

import pytest

from cobrowse.core.control import Control, ControlRefused, next_control

V, R, C = Control.VIEW, Control.REQUESTED, Control.CONTROL


@pytest.mark.parametrize(
    ("state", "role", "action", "after"),
    [
        (V, "agent", "request", R),
        (R, "agent", "request", R),
        (C, "agent", "request", C),
        (V, "agent", "release", V),
        (R, "agent", "release", V),
        (C, "agent", "release", V),
        (R, "visitor", "grant", C),
        (R, "visitor", "deny", V),
        (V, "visitor", "revoke", V),
        (R, "visitor", "revoke", V),
        (C, "visitor", "revoke", V),
    ],
)
def test_allowed_moves(state: Control, role: str, action: str, after: Control) -> None:
    assert next_control(state, role=role, action=action) is after


@pytest.mark.parametrize(
    ("state", "role", "action"),
    [
        (V, "visitor", "grant"),  # nothing was asked
        (C, "visitor", "grant"),
        (V, "visitor", "deny"),
        (R, "agent", "grant"),  # an agent never grants itself
        (R, "agent", "revoke"),
        (V, "visitor", "request"),
        (V, "admin", "request"),
    ],
)
def test_refused_moves(state: Control, role: str, action: str) -> None:
    with pytest.raises(ControlRefused):
        next_control(state, role=role, action=action)
