"""The `__cobrowse$` of worker and worklet scripts, prepended by the proxy.

The runtime defines `__cobrowse$` in documents only; a rewritten worker script calls it
too (docs/js-rewriting.md, "Workers"). This prelude defines a small one from the
session's origin map when the global has none: one expression statement, on the
script's first line, after its directive prologue (so `"use strict"` stays a
directive) and without a line break (line numbers stay). It is valid at the top of
classic and module workers, never throws, and defines nothing when `__cobrowse$` is
there already (a script run by `importScripts` after the worker's own).

In a worker: `w` gives the upstream URL's view of a `WorkerLocation` (a `URL`, which
has every property a WorkerLocation has), `i` maps absolute URLs of mapped origins to
their proxy hosts (others through `go`), `u` maps proxy URLs back, `a`, `s` and `e`
pass their values through (no navigation, no in-worker rewriter), `p` calls
`X.postMessage` with the arguments as they are (a worker has no window to target), and
`v` calls `X.eval` so (`eval` in a worker is not rewritten).
`self.origin` reads the upstream origin (a writable own property, as the replaceable
attribute becomes once set).
"""

from __future__ import annotations

import re

import orjson

__all__ = ["WORKER_DESTS", "with_prelude", "worker_prelude"]

# Request destinations whose global has no runtime: their scripts get the prelude.
WORKER_DESTS = frozenset(
    ("worker", "sharedworker", "serviceworker", "audioworklet", "paintworklet")
)

_TEMPLATE = (
    "(()=>{try{const g=globalThis;if('__cobrowse$'in g)return;"
    "const O=%s,R={},G=%s;for(const k in O)R[O[k]]=k;"
    "const up=(u)=>{try{const x=new URL(u);const o=R[x.origin];"
    "return o?o+x.href.slice(x.origin.length):u}catch(e){return u}};"
    "const isLoc=(v)=>typeof WorkerLocation!=='undefined'&&v instanceof WorkerLocation;"
    "const f={w:(v)=>{try{return isLoc(v)?new URL(up(v.href)):v}catch(e){return v}},"
    "a:(c,v)=>v,s:(x,k,v)=>(x[k]=v),e:(s)=>s,"
    "i:(x)=>{try{if(typeof x!=='string')return x;const u=new URL(x);"
    "if(!/^(https?|wss?):$/.test(u.protocol)||R[u.origin])return x;const o=O[u.origin];"
    "return o?o+u.href.slice(u.origin.length):G+encodeURIComponent(u.href)}"
    "catch(e){return x}},"
    "u:(x)=>typeof x==='string'?up(x):x,"
    "p:(x,...a)=>x.postMessage(...a),v:(x,...a)=>x.eval(...a)};"
    "Object.defineProperty(g,'__cobrowse$',{value:Object.freeze(f)});"
    "const h=g.location&&g.location.href;if(h)Object.defineProperty(g,'origin',"
    "{value:new URL(up(h)).origin,writable:true,enumerable:true,configurable:true})"
    "}catch(e){}})();"
)


def worker_prelude(origins: dict[str, str], go: str) -> bytes:
    """The prelude for a session: `origins` maps upstream origins to proxy origins;
    `go` is the absolute URL prefix of the go path (`<proxy origin>/__cobrowse/go?url=`)."""
    blob = orjson.dumps(origins).decode().replace("<", "\\u003c")
    return (_TEMPLATE % (blob, orjson.dumps(go).decode())).encode()


_SPACE = re.compile(rb"(?:[ \t\r\n\f\v]+|//[^\n]*|/\*[\s\S]*?\*/)*")
_DIRECTIVE = re.compile(rb"""(?:"[^"\\\n]*"|'[^'\\\n]*')[ \t]*(;|(?=\r|\n))""")


def with_prelude(source: bytes, prelude: bytes) -> bytes:
    """`source` with `prelude` after its directive prologue (`"use strict";`...), on the
    same line: a directive without its semicolon gets one first."""
    at, semicolon = 0, True
    pos = 0
    while True:
        pos = _SPACE.match(source, pos).end()  # type: ignore[union-attr]
        directive = _DIRECTIVE.match(source, pos)
        if directive is None:
            break
        at, semicolon = directive.end(), bool(directive.group(1))
        pos = at
    return source[:at] + (b"" if semicolon else b";") + prelude + source[at:]
