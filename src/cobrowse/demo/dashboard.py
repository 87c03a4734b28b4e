"""The signed-in dashboard and its three tabs.

Each tab is rendered here as an HTML fragment; the page embeds the current one, and
`/api/dashboard/{tab}` returns the same fragment for the script that switches tabs
without a page load (and pushes /dashboard/{tab} into the history).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cobrowse.demo.accounts import UserSession, holder_type, mask_pan
from cobrowse.demo.layout import Shell, esc, page
from cobrowse.demo.state import Draft, Submission
from cobrowse.demo.tax import ASSESSMENT_YEAR, FINANCIAL_YEAR, format_inr

IST = dt.timezone(dt.timedelta(hours=5, minutes=30), "IST")


@dataclass(frozen=True, slots=True)
class Tab:
    key: str
    label: str
    path: str


TABS = (
    Tab("overview", "Overview", "/dashboard"),
    Tab("refund-status", "Refund status", "/dashboard/refund-status"),
    Tab("notices", "Notices", "/dashboard/notices"),
)
TABS_BY_KEY = {tab.key: tab for tab in TABS}


@dataclass(frozen=True, slots=True)
class AccountView:
    """What the dashboard shows about one taxpayer."""

    user: UserSession
    draft: Draft | None
    filed: tuple[Submission, ...]


def when(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, IST).strftime("%d %b %Y, %H:%M IST")


def _seed(pan: str) -> int:
    return int(pan[5:9]) if pan[5:9].isdigit() else 0


def tab_fragment(key: str, view: AccountView) -> str:
    """The HTML inside the tab panel for a tab key (one of TABS)."""
    if key == "refund-status":
        return _refunds(view)
    if key == "notices":
        return _notices(view)
    return _overview(view)


def _overview(view: AccountView) -> str:
    latest = view.filed[-1] if view.filed else None
    if latest is not None:
        status = (
            f'<p class="status ok">Filed on {esc(when(latest.filed_at))}</p>'
            f'<p>Acknowledgement number <a href="/itr/acknowledgement/{esc(latest.ack_number)}">'
            f"{esc(latest.ack_number)}</a></p>"
        )
    elif view.draft is not None:
        status = (
            '<p class="status warn">Draft saved, not filed</p>'
            f"<p>Last saved {esc(when(view.draft.saved_at))}. Continue where you left off.</p>"
        )
    else:
        status = (
            '<p class="status due">Not filed yet</p>'
            "<p>The return for this year is due. Filing takes about 10 minutes.</p>"
        )
    tds = 48_000 + _seed(view.user.pan) * 7
    return f"""<h2 class="panel-title">Overview</h2>
<div class="stat-grid">
  <section class="stat">
    <h3>Return for AY {ASSESSMENT_YEAR}</h3>
    {status}
  </section>
  <section class="stat">
    <h3>Tax deducted at source</h3>
    <p class="big">{esc(format_inr(tds))}</p>
    <p class="muted">As per Form 26AS, FY {FINANCIAL_YEAR}</p>
  </section>
  <section class="stat">
    <h3>Aadhaar-PAN link</h3>
    <p class="status ok">Linked</p>
    <p class="muted">Verified with UIDAI</p>
  </section>
</div>"""


def _refunds(view: AccountView) -> str:
    seed = _seed(view.user.pan)
    current = (
        "Return filed; refund will be determined after processing"
        if view.filed
        else "Return not filed yet"
    )
    rows = (
        (f"{ASSESSMENT_YEAR}", current, "-", "-"),
        ("2025-26", "Refund credited", format_inr(2_150 + seed % 9_000), "19 Aug 2025"),
        ("2024-25", "Refund credited", format_inr(960 + seed % 4_000), "12 Aug 2024"),
        ("2023-24", "No refund due", "-", "-"),
    )
    body = "".join(
        f'<tr><th scope="row">{esc(ay)}</th><td>{esc(status)}</td>'
        f"<td>{esc(amount)}</td><td>{esc(date)}</td></tr>"
        for ay, status, amount, date in rows
    )
    return f"""<h2 class="panel-title">Refund status</h2>
<p class="muted">Refunds are paid to your pre-validated bank account.</p>
<div class="table-wrap">
<table class="data">
  <caption>Refunds by assessment year</caption>
  <thead><tr><th scope="col">Assessment year</th><th scope="col">Status</th>
  <th scope="col">Amount</th><th scope="col">Credited on</th></tr></thead>
  <tbody>{body}</tbody>
</table>
</div>"""


def _notices(view: AccountView) -> str:
    seed = _seed(view.user.pan)
    notices = (
        ("Open", f"CPC/2526/G5/{100000 + seed * 37}", "Reminder to file your return for AY "
         f"{ASSESSMENT_YEAR}", "Communication", "01 Jul 2026"),
        ("Closed", f"CPC/2425/A1/{300000 + seed * 53}", "Intimation under section 143(1) for "
         "AY 2025-26: no demand, refund determined", "Intimation", "14 Aug 2025"),
    )  # fmt: skip
    if view.filed:
        notices = (("Closed", notices[0][1], notices[0][2], notices[0][3], notices[0][4]),
                   notices[1])  # fmt: skip
    items = "".join(
        f"""<li class="notice">
  <span class="badge {"open" if state == "Open" else "closed"}">{esc(state)}</span>
  <div><p class="notice-title">{esc(title)}</p>
  <p class="muted">{esc(kind)} &middot; DIN {esc(din)} &middot; issued {esc(date)}</p></div>
</li>"""
        for state, din, title, kind, date in notices
    )
    return f"""<h2 class="panel-title">Notices</h2>
<ul class="notices">{items}</ul>"""


def dashboard_page(shell: Shell, *, view: AccountView, tab: Tab) -> str:
    user = view.user
    tabs = "".join(
        f'<a role="tab" id="tab-{t.key}" href="{t.path}" data-tab="{t.key}" '
        f'aria-controls="dashboard-panel" aria-selected="{"true" if t is tab else "false"}">'
        f"{esc(t.label)}</a>"
        for t in TABS
    )
    body = f"""<div class="wrap">
  <section class="welcome card" aria-labelledby="welcome-heading">
    <div>
      <h1 id="welcome-heading">Namaste, {esc(user.name)}</h1>
      <p class="muted">{esc(holder_type(user.pan))} &middot; PAN
        <span class="pan-badge" data-cobrowse-mask>{esc(mask_pan(user.pan))}</span></p>
    </div>
    <div class="welcome-actions">
      <a class="button primary" href="/itr">File ITR</a>
    </div>
  </section>
  <div class="tabs" role="tablist" aria-label="Your account">{tabs}</div>
  <section id="dashboard-panel" class="card tab-panel" role="tabpanel"
    aria-labelledby="tab-{tab.key}" data-dashboard-panel>
{tab_fragment(tab.key, view)}
  </section>
</div>"""
    return page(
        shell,
        title=tab_title(tab),
        body=body,
        user=user,
        active="dashboard",
        scripts=("portal.js",),
    )


def tab_title(tab: Tab) -> str:
    """The page title for a tab (the shell appends the site name)."""
    return "Dashboard" if tab.key == "overview" else f"{tab.label} - Dashboard"
