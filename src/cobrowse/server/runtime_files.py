"""The runtime's own scripts, served on every proxy host under `/__cobrowse/`:
`runtime.js` (injected first into every proxied page), `runtime-bridge.js` (the
overlay bridge's second half, which the runtime imports as a module) and
`runtime-parser.js` (the in-page rewriter's parser, which it loads on first use).

Read from the build once (again when the build changes), with the build's brotli and gzip
copies (compressed here when missing), served as the browser accepts, with an ETag so
that a revalidation costs a 304.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import brotli

__all__ = ["RUNTIME_FILES", "RuntimeFiles", "ServedFile"]

RUNTIME_FILES = ("runtime.js", "runtime-bridge.js", "runtime-parser.js")


@dataclass(frozen=True, slots=True)
class _Built:
    mtime_ns: int
    etag: str
    identity: bytes
    gzip: bytes
    br: bytes


@dataclass(frozen=True, slots=True)
class ServedFile:
    status: int  # 200 or 304
    headers: list[tuple[str, str]]
    body: bytes


def _accepts(accept_encoding: str, coding: str) -> bool:
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() != coding:
            continue
        q = params.strip().lower()
        return not (q.startswith("q=") and q[2:].strip() in ("0", "0.0", "0.00", "0.000"))
    return False


def _compressed(
    path: Path, suffix: str, data: bytes, decompress: Callable[[bytes], bytes]
) -> bytes | None:
    """The build's compressed copy of `path` (web/build.mjs writes `.br` and `.gz` beside
    each file, so no request waits for brotli's slowest level), when it holds `data`."""
    try:
        packed = path.with_name(path.name + suffix).read_bytes()
        return packed if decompress(packed) == data else None
    except Exception:  # missing, unreadable or stale: compressed here instead
        return None


class RuntimeFiles:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._built: dict[str, _Built] = {}

    def _load(self, name: str) -> _Built | None:
        path = self.directory / name
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            return None
        built = self._built.get(name)
        if built is not None and built.mtime_ns == mtime:
            return built
        data = path.read_bytes()
        built = _Built(
            mtime_ns=mtime,
            etag='"' + hashlib.sha256(data).hexdigest()[:20] + '"',
            identity=data,
            gzip=_compressed(path, ".gz", data, gzip.decompress) or gzip.compress(data, 9, mtime=0),
            br=_compressed(path, ".br", data, brotli.decompress)
            or brotli.compress(data, quality=11),
        )
        self._built[name] = built
        return built

    def ready(self, name: str) -> bool:
        """Whether `name` has been read (serving it then reads no file: `serve` stats it
        once, and reads it again only when the build changed while the server ran)."""
        return name in self._built

    def serve(self, name: str, *, accept_encoding: str, if_none_match: str) -> ServedFile | None:
        """The file `name` (one of RUNTIME_FILES) for a request; None when not built."""
        if name not in RUNTIME_FILES:
            return None
        built = self._load(name)
        if built is None:
            return None
        headers = [
            ("content-type", "text/javascript; charset=utf-8"),
            ("cache-control", "max-age=300"),
            ("etag", built.etag),
            ("vary", "accept-encoding"),
        ]
        if built.etag in (tag.strip() for tag in if_none_match.split(",")):
            return ServedFile(304, headers, b"")
        if _accepts(accept_encoding, "br"):
            return ServedFile(200, [*headers, ("content-encoding", "br")], built.br)
        if _accepts(accept_encoding, "gzip"):
            return ServedFile(200, [*headers, ("content-encoding", "gzip")], built.gzip)
        return ServedFile(200, headers, built.identity)
