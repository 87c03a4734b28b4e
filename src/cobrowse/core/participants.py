"""Who else is in a session besides its visitor and agent, and what the console lists.

- Watchers: supervisors watching a live session as view-only participants. Each has
  an id (`w_...`, what their token and the visitor's answer name), a display name, the
  sign-in key that admitted them, and whether the visitor allowed them (a site may
  let supervisors watch without a new Allow: they are still announced).
- A transfer offered by the session's agent to another signed-in agent, which lapses
  when not accepted in time.
- What the Sessions list shows of a session besides its state: the site, the page
  (its path only: a query may hold what the visitor typed), the visitor's browser and
  viewport, read from the page data the agent receives anyway (rrweb's Meta event)
  and from the User-Agent the widget's first request carried.

Pure: no I/O, no clock (times come in as `now`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

MAX_WATCHERS = 4  # per session
TRANSFER_SECONDS = 60.0  # an offered transfer lapses after this
MAX_NOTES = 200  # private notes kept per session
MAX_PAGE = 200  # characters of a page path kept for the list


@dataclass(frozen=True, slots=True)
class Watcher:
    id: str
    name: str
    key: str  # the sign-in that asked (a hash of its cookie, like Session.agent_key)
    agent_id: str  # who they are (store/guards.py Agent.id)
    allowed: bool = False


@dataclass(frozen=True, slots=True)
class Transfer:
    to_id: str  # the receiving agent (Agent.id)
    to_name: str
    from_name: str
    until: float


@dataclass(frozen=True, slots=True)
class PageInfo:
    site: str | None = None  # origin
    page: str | None = None  # path only
    viewport: str | None = None  # "1280x800"


def page_info(event: dict[str, Any], *, known: PageInfo) -> PageInfo | None:
    """What a Meta event (rrweb type 4: href, width, height) says of the visitor's page;
    None when `event` is no Meta event or says nothing new."""
    if event.get("type") != 4:
        return None
    data = event.get("data")
    if not isinstance(data, dict):
        return None
    href = data.get("href")
    site, page = known.site, known.page
    if isinstance(href, str) and len(href) <= 8192:
        try:
            parts = urlsplit(href)
        except ValueError:
            parts = None
        if parts is not None and parts.scheme in ("http", "https") and parts.hostname:
            site = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
            page = (parts.path or "/")[:MAX_PAGE]
    width, height = data.get("width"), data.get("height")
    viewport = known.viewport
    if (
        isinstance(width, int | float)
        and isinstance(height, int | float)
        and _dimension(width)
        and _dimension(height)
    ):
        viewport = f"{int(width)}x{int(height)}"
    found = PageInfo(site=site, page=page, viewport=viewport)
    return None if found == known else found


def _dimension(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 100_000


_BROWSERS = (
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/(\d+)")),
    ("Opera", re.compile(r"OPR/(\d+)")),
    ("Samsung Internet", re.compile(r"SamsungBrowser/(\d+)")),
    ("Firefox", re.compile(r"(?:Firefox|FxiOS)/(\d+)")),
    ("Chrome", re.compile(r"(?:Chrome|CriOS)/(\d+)")),
    ("Safari", re.compile(r"Version/(\d+)[.\d]* (?:Mobile/\S+ )?Safari/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux|X11")),
)


def browser_of(user_agent: str | None) -> str | None:
    """A short name for the visitor's browser ("Chrome 131 on Windows"), or None."""
    if not user_agent:
        return None
    ua = user_agent[:512]
    name = next((f"{label} {m.group(1)}" for label, rx in _BROWSERS if (m := rx.search(ua))), None)
    system = next((label for label, rx in _SYSTEMS if rx.search(ua)), None)
    if name and system:
        return f"{name} on {system}"
    return name or system
