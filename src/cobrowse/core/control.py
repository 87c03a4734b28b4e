"""Who may act on the visitor's page: the control sub-state of an active session.

view --agent request--> requested --visitor grant--> control
visitor deny: requested -> view; visitor revoke or agent release: any -> view.
Only the visitor grants; an agent acts only in `control`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class Control(StrEnum):
    VIEW = "view"
    REQUESTED = "requested"
    CONTROL = "control"


AgentAction = Literal["request", "release"]
VisitorAction = Literal["grant", "deny", "revoke"]
AGENT_ACTIONS: frozenset[str] = frozenset({"request", "release"})
VISITOR_ACTIONS: frozenset[str] = frozenset({"grant", "deny", "revoke"})


class ControlRefused(Exception):
    """The action does not apply to this role or in this state."""


def next_control(state: Control, *, role: str, action: str) -> Control:
    """The control state after `role` did `action`; ControlRefused if it may not."""
    if role == "agent":
        if action == "request":
            if state is Control.CONTROL:
                return state  # already in control: nothing to ask
            return Control.REQUESTED
        if action == "release":
            return Control.VIEW
    elif role == "visitor":
        if action == "grant":
            if state is not Control.REQUESTED:
                raise ControlRefused("control was not requested")
            return Control.CONTROL
        if action == "deny":
            if state is not Control.REQUESTED:
                raise ControlRefused("control was not requested")
            return Control.VIEW
        if action == "revoke":
            return Control.VIEW
    raise ControlRefused(f"a {role} may not {action} control")
