"""The worker prelude: where it goes, and that it is one line of valid JavaScript."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from cobrowse.rewrite.js import find_edits
from cobrowse.rewrite.worker_prelude import with_prelude, worker_prelude

PRELUDE = worker_prelude(
    {"https://a.example": "http://pa.cobrowse.localhost"},
    "http://pa.cobrowse.localhost/__cobrowse/go?url=",
)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (b"f();\n", b"P" + b"f();\n"),
        (b'"use strict";\nf();', b'"use strict";P\nf();'),
        (b"// c\n'use strict'\n'use asm';f()", b"// c\n'use strict'\n'use asm';Pf()"),
        (b'"use strict"\nf()', b'"use strict";P\nf()'),
        (b'"not a directive" + 1;', b'P"not a directive" + 1;'),
        (b"import x from './x.js';", b"Pimport x from './x.js';"),
    ],
)
def test_the_prelude_goes_after_the_directive_prologue(source: bytes, expected: bytes) -> None:
    assert with_prelude(source, b"P") == expected


def test_the_prelude_is_one_line_that_parses_as_a_script_and_a_module() -> None:
    assert b"\n" not in PRELUDE
    for kind in ("script", "module"):
        assert find_edits(PRELUDE + b"\nlocation", kind).status == "rewritten"  # parsed
    origins = {"https://a.example": "http://pa</script>"}
    assert b"</script>" not in worker_prelude(origins, "/go")


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_prelude_defines_the_functions_in_a_worker_like_global() -> None:
    code = (
        "class WorkerLocation { constructor(h) { this.href = h; } }"
        "globalThis.WorkerLocation = WorkerLocation;"
        "globalThis.location = new WorkerLocation('http://pa.cobrowse.localhost/w.js?q#f');"
        + PRELUDE.decode()
        + "const c = globalThis.__cobrowse$;"
        "console.log(JSON.stringify([c.w(location).href, c.w(location).origin, c.w(1),"
        "c.i('https://a.example/m.js'), c.i('https://c.example/x'), c.i('./r.js'),"
        "c.u('http://pa.cobrowse.localhost/a?b'), c.e('s'), c.a(0, 'v')]));"
    )
    done = subprocess.run(["node", "-e", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        '["https://a.example/w.js?q#f","https://a.example",1,'
        '"http://pa.cobrowse.localhost/m.js",'
        '"http://pa.cobrowse.localhost/__cobrowse/go?url=https%3A%2F%2Fc.example%2Fx",'
        '"./r.js","https://a.example/a?b","s","v"]'
    )
