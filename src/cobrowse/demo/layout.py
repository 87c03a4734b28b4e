"""The page shell every portal page shares, and small HTML helpers.

Every value that comes from a user passes through `esc`. The co-browse embed is the
first element in <head> after the charset, exactly as a customer site would add it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from cobrowse.demo.accounts import UserSession
from cobrowse.demo.tax import ASSESSMENT_YEAR


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


@dataclass(frozen=True, slots=True)
class Shell:
    """What the shell needs to know about the app: where the co-browse server is."""

    cobrowse_url: str

    @property
    def embed(self) -> str:
        return f'<script src="{esc(self.cobrowse_url)}/cobrowse.js" async></script>'


_NAV = (
    ("home", "/", "Home"),
    ("itr", "/itr", "e-File"),
    ("refund", "/dashboard/refund-status", "Refunds"),
    ("notices", "/dashboard/notices", "e-Proceedings"),
    ("help", "/#help", "Help"),
)


def document_title(title: str) -> str:
    return f"{title} | Income Tax e-Filing (demo)"


def page(
    shell: Shell,
    *,
    title: str,
    body: str,
    user: UserSession | None,
    active: str = "",
    scripts: tuple[str, ...] = (),
) -> str:
    """A whole HTML document around `body` (already escaped HTML)."""
    script_tags = "".join(f'\n<script src="/static/{esc(s)}" defer></script>' for s in scripts)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
{shell.embed}
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="Demo income-tax e-filing portal for the cobrowse project">
<title>{esc(document_title(title))}</title>
<link rel="icon" href="/static/emblem.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/portal.css">{script_tags}
</head>
<body>
<a class="skip" href="#main">Skip to main content</a>
{_topbar()}
{_header()}
{_nav(user, active)}
<main id="main" tabindex="-1">
{body}
</main>
{_footer()}
</body>
</html>
"""


def _topbar() -> str:
    return """<div class="topbar">
  <div class="wrap topbar-row">
    <p class="demo-flag"><strong>Demo site</strong> for the cobrowse project. Not a government
      website: names, numbers and notices here are made up.</p>
    <p class="helpline">Helpdesk <span class="nowrap">1800 000 0000</span> (demo)</p>
  </div>
</div>"""


def _header() -> str:
    return f"""<header class="masthead">
  <div class="wrap masthead-row">
    <a class="brand" href="/">
      <img class="emblem" src="/static/emblem.svg" alt="e-Filing emblem" width="64" height="64">
      <span class="brand-text">
        <span class="brand-dept">Income Tax Department</span>
        <span class="brand-name">e-Filing Portal</span>
        <span class="brand-sub">Demo &middot; Assessment Year {ASSESSMENT_YEAR}</span>
      </span>
    </a>
    <img class="masthead-art" src="/static/skyline.svg" alt="" width="220" height="64">
  </div>
</header>"""


def _nav(user: UserSession | None, active: str) -> str:
    items = []
    for key, href, label in _NAV:
        current = ' aria-current="page"' if key == active else ""
        items.append(f'<li><a href="{href}"{current}>{label}</a></li>')
    if user is None:
        current = ' aria-current="page"' if active == "login" else ""
        account = f'<a class="nav-login" href="/login"{current}>Login</a>'
    else:
        current = ' aria-current="page"' if active == "dashboard" else ""
        account = (
            f'<a class="nav-user" href="/dashboard"{current}>'
            f'<span class="avatar" aria-hidden="true">{esc(user.name[:1])}</span>'
            f"{esc(user.name)}</a>"
            '<form method="post" action="/logout" class="inline-form">'
            '<button type="submit" class="nav-logout">Logout</button></form>'
        )
    return f"""<nav class="mainnav" aria-label="Main">
  <div class="wrap mainnav-row">
    <ul>{"".join(items)}</ul>
    <div class="account">{account}</div>
  </div>
</nav>"""


def _footer() -> str:
    return """<footer class="site-footer">
  <div class="wrap footer-grid">
    <section>
      <h2>About this demo</h2>
      <p>A made-up e-filing portal used to show <strong>cobrowse</strong>, a self-hosted
        co-browsing server. Press <em>Co-browse</em> and read the PIN to the helpdesk agent.</p>
    </section>
    <section>
      <h2>Quick links</h2>
      <ul>
        <li><a href="/itr">File income tax return</a></li>
        <li><a href="/dashboard/refund-status">Know your refund status</a></li>
        <li><a href="/dashboard/notices">e-Proceedings and notices</a></li>
      </ul>
    </section>
    <section>
      <h2>Stay safe</h2>
      <p>The department never asks for your password, OTP or card details by phone or
        email. A helpdesk agent sees your screen only after you press <em>Allow</em>.</p>
    </section>
  </div>
  <p class="wrap copyright">Demo content &middot; cobrowse project &middot; Apache-2.0</p>
</footer>"""


def field(
    *,
    name: str,
    label: str,
    value: str = "",
    error: str | None = None,
    hint: str = "",
    input_type: str = "text",
    masked: bool = False,
    attrs: str = "",
) -> str:
    """A labelled input with its hint and error, wired up for assistive technology.

    `attrs` is trusted markup (autocomplete, inputmode, ...), never user input.
    """
    described = []
    hint_html = ""
    if hint:
        hint_html = f'<p class="hint" id="{name}-hint">{esc(hint)}</p>'
        described.append(f"{name}-hint")
    error_html = ""
    if error:
        error_html = f'<p class="field-error" id="{name}-error">{esc(error)}</p>'
        described.append(f"{name}-error")
    aria = f' aria-describedby="{" ".join(described)}"' if described else ""
    invalid = ' aria-invalid="true"' if error else ""
    mask = " data-cobrowse-mask" if masked else ""
    value_attr = "" if input_type == "password" else f' value="{esc(value)}"'
    classes = "field has-error" if error else "field"
    return f"""<div class="{classes}">
  <label for="{name}">{esc(label)}</label>
  {hint_html}
  <input id="{name}" name="{name}" type="{input_type}"{value_attr}{aria}{invalid}{mask} {attrs}>
  {error_html}
</div>"""


def error_summary(errors: dict[str, str], labels: dict[str, str]) -> str:
    """The list of problems at the top of a form, each linking to its field."""
    if not errors:
        return ""
    items = "".join(
        f'<li><a href="#{esc(name)}">{esc(labels.get(name, name))}: {esc(message)}</a></li>'
        for name, message in errors.items()
    )
    count = len(errors)
    noun = "problem" if count == 1 else "problems"
    return f"""<div class="error-summary" role="alert" tabindex="-1">
  <h2>There {"is" if count == 1 else "are"} {count} {noun} with this form</h2>
  <ul>{items}</ul>
</div>"""
