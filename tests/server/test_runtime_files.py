"""The runtime's own scripts: compressed as accepted, revalidated by ETag, rebuilt."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import brotli

from cobrowse.server.runtime_files import RuntimeFiles

SCRIPT = b"(()=>{/* runtime */})();\n" * 200


def files(tmp_path: Path) -> RuntimeFiles:
    (tmp_path / "runtime.js").write_bytes(SCRIPT)
    (tmp_path / "runtime-bridge.js").write_bytes(b"export function createBridge(){}\n")
    (tmp_path / "console.js").write_bytes(b"not a runtime file")
    return RuntimeFiles(tmp_path)


def test_each_coding_decodes_to_the_built_file(tmp_path: Path) -> None:
    rf = files(tmp_path)
    br = rf.serve("runtime.js", accept_encoding="gzip, deflate, br, zstd", if_none_match="")
    gz = rf.serve("runtime.js", accept_encoding="gzip;q=1, br;q=0", if_none_match="")
    plain = rf.serve("runtime.js", accept_encoding="", if_none_match="")
    assert br and gz and plain
    assert ("content-encoding", "br") in br.headers and brotli.decompress(br.body) == SCRIPT
    assert ("content-encoding", "gzip") in gz.headers and gzip.decompress(gz.body) == SCRIPT
    assert plain.body == SCRIPT and not any(k == "content-encoding" for k, _ in plain.headers)
    assert len(br.body) < len(SCRIPT) // 10
    for served in (br, gz, plain):
        assert ("content-type", "text/javascript; charset=utf-8") in served.headers
        assert ("vary", "accept-encoding") in served.headers


def test_a_matching_etag_gets_304_and_a_rebuild_a_new_etag(tmp_path: Path) -> None:
    rf = files(tmp_path)
    first = rf.serve("runtime-bridge.js", accept_encoding="br", if_none_match="")
    assert first is not None and first.status == 200
    etag = dict(first.headers)["etag"]
    again = rf.serve("runtime-bridge.js", accept_encoding="br", if_none_match=f'"x", {etag}')
    assert again is not None and again.status == 304 and again.body == b""
    path = tmp_path / "runtime-bridge.js"
    path.write_bytes(b"export function createBridge(){ return 2 }\n")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    rebuilt = rf.serve("runtime-bridge.js", accept_encoding="", if_none_match=etag)
    assert rebuilt is not None and rebuilt.status == 200
    assert rebuilt.body.endswith(b"return 2 }\n") and dict(rebuilt.headers)["etag"] != etag


def test_only_the_runtime_files_and_only_when_built(tmp_path: Path) -> None:
    rf = files(tmp_path)
    assert rf.serve("console.js", accept_encoding="", if_none_match="") is None
    assert rf.serve("../runtime.js", accept_encoding="", if_none_match="") is None
    (tmp_path / "runtime.js").unlink()
    assert rf.serve("runtime.js", accept_encoding="", if_none_match="") is None


def test_the_builds_compressed_copies_are_served_when_they_hold_the_file(tmp_path: Path) -> None:
    rf = files(tmp_path)
    built_br = brotli.compress(SCRIPT, quality=1)  # not what the server would make
    built_gz = gzip.compress(SCRIPT, 1, mtime=0)
    (tmp_path / "runtime.js.br").write_bytes(built_br)
    (tmp_path / "runtime.js.gz").write_bytes(built_gz)
    (tmp_path / "runtime-bridge.js.br").write_bytes(brotli.compress(b"stale build\n"))
    (tmp_path / "runtime-bridge.js.gz").write_bytes(b"not gzip at all")
    assert not rf.ready("runtime.js")
    br = rf.serve("runtime.js", accept_encoding="br", if_none_match="")
    gz = rf.serve("runtime.js", accept_encoding="gzip", if_none_match="")
    assert br is not None and br.body == built_br
    assert gz is not None and gz.body == built_gz
    assert rf.ready("runtime.js") and not rf.ready("runtime-bridge.js")
    # A copy of another build, or not a copy at all: compressed here instead.
    bridge = b"export function createBridge(){}\n"
    br = rf.serve("runtime-bridge.js", accept_encoding="br", if_none_match="")
    gz = rf.serve("runtime-bridge.js", accept_encoding="gzip", if_none_match="")
    assert br is not None and brotli.decompress(br.body) == bridge
    assert gz is not None and gzip.decompress(gz.body) == bridge
    assert not rf.ready("missing.js")
