"""The app's start-up: what it made is kept out of the garbage collector's full passes."""

from __future__ import annotations

import gc

from tests.server.conftest import Server


def test_start_up_objects_are_frozen_out_of_full_collections(server: Server) -> None:
    # Full collections walk every tracked object; what start-up made (modules, classes,
    # the app) lives as long as the process, and walking it paused the relay.
    assert server.client.get("/healthz").status_code == 200
    assert gc.get_freeze_count() > 10_000
