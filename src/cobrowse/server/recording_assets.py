"""A proxied session's assets in its recording: kept when it ends, pointed at on replay.

In proxy mode the recorded page data names stylesheets, fonts and images by their
proxy URLs (`http://<label>.<proxy domain>/...`), which the agent's mirror loaded
through the asset route; both die with the session. So when a recorded session ends,
every asset its visitor's proxy fetched is kept with the recording, masked exactly as
the asset route served it to the agent (server/pages.py `_for_agent`), a stylesheet's
URLs made absolute proxy URLs like those in the page data. On replay those URLs point
at the recording's own asset route; in an export, at data: URLs.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable, Mapping

from cobrowse.core.masking import MaskingRules
from cobrowse.rewrite.assets import for_agent
from cobrowse.rewrite.urls import UrlMap
from cobrowse.server.proxy_state import ProxyState
from cobrowse.server.recordings import RecordedAsset

log = logging.getLogger("cobrowse.recordings")

MAX_ASSET_BYTES = 64 * 1024 * 1024  # of one session's assets, kept with its recording


async def session_assets(
    proxy: ProxyState, masking: MaskingRules, session_id: str
) -> list[RecordedAsset]:
    """Every asset the session's agent could load, as the asset route served it."""
    targets = await proxy.store.targets(session_id)
    origins = {proxy.hosts.origin(t.label) for t in targets.values()}
    patterns = masking.patterns_for(await proxy.origins(session_id))
    kept: list[RecordedAsset] = []
    total = 0
    for target in targets.values():
        origin = proxy.hosts.origin(target.label)
        for path in await proxy.store.asset_paths(session_id, target.label):
            item = await proxy.store.asset(session_id, target.label, path)
            if item is None or total + len(item.body) > MAX_ASSET_BYTES:
                continue
            urls = UrlMap(
                base=origin + path,
                proxy_origin_of=lambda o: o if o in origins else None,
                upstream_origin_of=lambda _o: None,
                absolute=True,
            )
            served = await asyncio.to_thread(
                for_agent, item.body, item.content_type, patterns, urls
            )
            total += len(served.body)
            kept.append(RecordedAsset(origin + path, served.content_type, served.body))
    return kept


def point_at(text: str, targets: Mapping[str, str]) -> str:
    """`text` with every asset URL replaced by its target (longest URLs first, so that
    one URL that starts another is not cut)."""
    for url in sorted(targets, key=len, reverse=True):
        if url in text:
            text = text.replace(url, targets[url])
    return text


def route_targets(recording_id: str, index: list[tuple[str, str, str]]) -> dict[str, str]:
    return {url: f"/api/v1/recordings/{recording_id}/assets/{name}" for url, _, name in index}


def data_targets(
    index: list[tuple[str, str, str]], read: Callable[[str], bytes | None]
) -> dict[str, str]:
    """data: URLs for an export; a stylesheet's own URLs become data: URLs first."""
    plain = {url: (ctype, read(name)) for url, ctype, name in index}
    targets: dict[str, str] = {}
    for css in (False, True):  # images and fonts, then the stylesheets that name them
        for url, (ctype, body) in plain.items():
            if body is None or ctype.startswith("text/css") is not css:
                continue
            if css:
                body = point_at(body.decode("utf-8", "replace"), targets).encode()
            targets[url] = f"data:{ctype.split(';')[0]};base64,{base64.b64encode(body).decode()}"
    return targets
