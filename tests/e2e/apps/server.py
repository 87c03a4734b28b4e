"""Serve the framework test pages on loopback, from uvicorn in a thread.

The React page is a real React 18 app: React comes from npm, installed once into a
cache outside the repository (``$XDG_CACHE_HOME/cobrowse/test-apps``, ``~/.cache`` by
default, or ``$TEST_APPS_CACHE``; not a ``COBROWSE_`` name: the demo refuses unknown ones),
and ``react_app.jsx`` is bundled with the esbuild the web build already has. Nothing
of React is vendored here.
"""

from __future__ import annotations

import fcntl
import html
import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from cobrowse.demo.continuation import PATH as CONTINUATION
from cobrowse.demo.continuation import continuation_forwarder
from tests.e2e.demo_process import free_port, serving_in_thread

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
ESBUILD = REPO / "web" / "node_modules" / ".bin" / "esbuild"
REACT_VERSION = "18.3.1"


class AppsUnavailable(RuntimeError):
    """React could not be installed or bundled (no npm, no network, no esbuild)."""


def cache_dir() -> Path:
    configured = os.environ.get("TEST_APPS_CACHE")
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    base = Path(configured) if configured else Path(xdg) / "cobrowse" / "test-apps"
    return base / f"react-{REACT_VERSION}"


def _installed(cache: Path) -> bool:
    for package in ("react", "react-dom"):
        manifest = cache / "node_modules" / package / "package.json"
        try:
            if json.loads(manifest.read_text())["version"] != REACT_VERSION:
                return False
        except (OSError, ValueError, KeyError):
            return False
    return True


def install_react(cache: Path) -> None:
    """`npm install` React into `cache` once (under a lock: parallel runs share it)."""
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed(cache):
            return
        (cache / "package.json").write_text('{"private": true}\n')
        cmd = [
            "npm", "install", "--prefix", str(cache), "--no-audit", "--no-fund",
            "--no-package-lock", "--loglevel=error",
            f"react@{REACT_VERSION}", f"react-dom@{REACT_VERSION}",
        ]  # fmt: skip
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise AppsUnavailable(f"npm install failed: {exc}") from exc
        if done.returncode != 0 or not _installed(cache):
            raise AppsUnavailable(f"npm install failed:\n{done.stdout}\n{done.stderr}")


def build_react(out: Path) -> Path:
    """Bundle react_app.jsx (with React from the cache) into one production script."""
    if not ESBUILD.exists():
        raise AppsUnavailable(f"no esbuild at {ESBUILD} (run npm ci in web/)")
    cache = cache_dir()
    install_react(cache)
    bundle = out / "react_app.js"
    cmd = [
        str(ESBUILD), str(HERE / "react_app.jsx"), "--bundle", "--format=iife",
        "--jsx=automatic", "--define:process.env.NODE_ENV=\"production\"",
        "--target=es2020", f"--outfile={bundle}", "--log-level=warning",
    ]  # fmt: skip
    env = {**os.environ, "NODE_PATH": str(cache / "node_modules")}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60, check=False)
    if done.returncode != 0:
        raise AppsUnavailable(f"esbuild failed:\n{done.stdout}\n{done.stderr}")
    return bundle


def _page(title: str, body: str, script: str, cobrowse: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        "<style>body{font:16px/1.5 system-ui,sans-serif;margin:2em}"
        "input,select,button{font:inherit}</style></head><body>"
        f'{body}<script src="{html.escape(script)}"></script>'
        f'<script src="{html.escape(cobrowse)}/cobrowse.js" async></script>'
        "</body></html>"
    )


ANGULAR_BODY = """
<main>
  <h1>Angular-like form</h1>
  <p><label for="name">Your name</label> <input id="name" autocomplete="off"></p>
  <output id="hi" aria-label="Greeting"></output>
  <p><label for="colour">Colour</label>
    <select id="colour">
      <option value="red">Red</option><option value="green">Green</option>
      <option value="blue">Blue</option>
    </select></p>
  <p id="colour-out"></p>
  <p><my-toggle id="dark">Dark mode</my-toggle></p>
  <p id="dark-out"></p>
  <p><my-switch id="alerts">Alerts</my-switch> <span id="alerts-out"></span></p>
  <p><label for="draft">New item</label> <input id="draft" autocomplete="off">
    <button id="add" type="button">Add item</button></p>
  <p id="count"></p>
  <ul id="items" aria-label="Items"></ul>
  <template id="item-template"><li><span>{{item}}</span>
    <button type="button" data-index="{{i}}" aria-label="Remove {{item}}">Remove</button></li>
  </template>
</main>
"""


def apps_site(cobrowse: str, react_bundle: Path) -> Starlette:
    async def react(request: Request) -> HTMLResponse:
        body = '<div id="root"></div>'
        return HTMLResponse(_page("React form", body, "/react/app.js", cobrowse))

    async def react_js(request: Request) -> Response:
        return Response(react_bundle.read_bytes(), media_type="text/javascript")

    async def angular(request: Request) -> HTMLResponse:
        return HTMLResponse(_page("Angular-like form", ANGULAR_BODY, "/angular/app.js", cobrowse))

    async def angular_js(request: Request) -> Response:
        return Response((HERE / "angular_like.js").read_bytes(), media_type="text/javascript")

    async def healthz(request: Request) -> Response:
        return Response("ok")

    return Starlette(
        routes=[
            Route("/react", react),
            Route("/react/app.js", react_js),
            Route("/angular", angular),
            Route("/angular/app.js", angular_js),
            Route("/healthz", healthz),
            # Integrated as the README says: the continuation point goes to the server.
            Route(f"{CONTINUATION}/{{step}}", continuation_forwarder(cobrowse), methods=["POST"]),
        ]
    )


@contextmanager
def running_apps(cobrowse: str, react_bundle: Path, port: int | None = None) -> Iterator[str]:
    """Serve the pages (embedding `cobrowse`'s widget); yield the site's origin."""
    port = port or free_port()
    app = apps_site(cobrowse, react_bundle)
    with serving_in_thread(app, port, what="the framework apps' server"):
        yield f"http://127.0.0.1:{port}"
