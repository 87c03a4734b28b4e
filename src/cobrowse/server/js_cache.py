"""Edit lists of parsed scripts, shared by every session and proxy host of the process.

`rewrite.js.find_edits` depends only on a script's bytes and kind, so its result is
kept under `sha256(bytes) + kind + RULES_VERSION` in an LRU bounded by bytes; per
response only the session's static import specifiers are mapped and the edits spliced
(`rewrite.js.apply_edits`, cheap). N concurrent requests for one script parse it once
(single flight). Parsing runs in a worker thread (`asyncio.to_thread`); note that
py-tree-sitter 0.26 holds the GIL while it parses (measured: a spinning Python thread
got ~6% of its solo rate during a parse), so a long first parse still delays the event
loop's other work; `proxy.max_script_rewrite_bytes` bounds how long. See
docs/js-rewriting.md ("Cache").
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Callable

from cobrowse.rewrite.js import RULES_VERSION, Edits, Kind, apply_edits, find_edits
from cobrowse.server.metrics import JsRewriteOutcome, Metrics

__all__ = ["JsCache", "etag_of"]


def _key(source: bytes, kind: Kind) -> str:
    return f"{hashlib.sha256(source).hexdigest()}:{kind}:{RULES_VERSION}"


def etag_of(source: bytes) -> str:
    """The ETag of a rewritten script: its upstream bytes' hash and the rules' version
    (the session's specifiers are the same for every response of one session's host)."""
    return f'"{hashlib.sha256(source).hexdigest()[:32]}-{RULES_VERSION}"'


class JsCache:
    """In-process cache of `find_edits` results, bounded by `max_bytes` (LRU)."""

    def __init__(
        self,
        *,
        max_bytes: int,
        max_script_bytes: int,
        metrics: Metrics | None = None,
        parse: Callable[[bytes, Kind], Edits] = find_edits,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_script_bytes = max_script_bytes
        self.metrics = metrics
        self._parse = parse
        self._entries: OrderedDict[str, Edits] = OrderedDict()
        self._size = 0
        self._pending: dict[str, asyncio.Future[Edits]] = {}

    @property
    def size(self) -> int:
        return self._size

    def __len__(self) -> int:
        return len(self._entries)

    async def edits(self, source: bytes, kind: Kind) -> Edits | None:
        """The edits of `source`, parsed at most once per key; None (and counted
        `too_large`) above the size cap."""
        if len(source) > self.max_script_bytes:
            self._count("too_large")
            return None
        key = _key(source, kind)
        found = self._cached(key)
        if found is not None:
            return found
        pending = self._pending.get(key)
        if pending is not None:  # another request parses it right now
            self._count("cached")
            return await asyncio.shield(pending)
        future: asyncio.Future[Edits] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            result = await asyncio.to_thread(self._parse, source, kind)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning without waiters
            raise
        finally:
            del self._pending[key]
        future.set_result(result)
        self._store(key, result)
        self._count(result.status)
        return result

    def _cached(self, key: str) -> Edits | None:
        """The stored edits of `key` (now the most recently used, and counted); None."""
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            self._count("cached")
        return found

    def lookup(self, source: bytes, kind: Kind) -> Edits:
        """The edits of inline code (a `<script>` body, a handler, a `javascript:`
        URL), parsed right here when not cached: the HTML rewriter calls it
        synchronously, and such code is small. The size cap applies too."""
        if len(source) > self.max_script_bytes:
            self._count("too_large")
            return Edits("unchanged")
        key = _key(source, kind)
        found = self._cached(key)
        if found is not None:
            return found
        result = self._parse(source, kind)
        self._store(key, result)
        self._count(result.status)
        return result

    async def rewrite(
        self, source: bytes, kind: Kind, map_specifier: Callable[[str], str] | None
    ) -> bytes | None:
        """`source` rewritten, or None when it is served as it came (too large, nothing
        to edit, or it did not parse)."""
        edits = await self.edits(source, kind)
        if edits is None or edits.status != "rewritten":
            return None
        return apply_edits(source, edits, map_specifier)

    def _store(self, key: str, value: Edits) -> None:
        size = value.size + len(key)
        if size > self.max_bytes:
            return
        self._entries[key] = value
        self._size += size
        while self._size > self.max_bytes:
            old_key, old = self._entries.popitem(last=False)
            self._size -= old.size + len(old_key)

    def _count(self, outcome: JsRewriteOutcome) -> None:
        if self.metrics is not None:
            self.metrics.js_rewrite(outcome)
