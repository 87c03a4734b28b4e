"""The public pages: home, login and the error page."""

from __future__ import annotations

from cobrowse.demo.accounts import UserSession
from cobrowse.demo.layout import Shell, esc, field, page
from cobrowse.demo.tax import ASSESSMENT_YEAR

_QUICK_LINKS = (
    ("/itr", "icon-file", "File income tax return", "ITR-1 (Sahaj) for salaried taxpayers"),
    ("/dashboard/refund-status", "icon-refund", "Know your refund status",
     "Track the refund for any assessment year"),
    ("/dashboard/notices", "icon-bell", "e-Proceedings", "Notices and intimations for you"),
    ("/dashboard", "icon-check", "e-Verify return", "Verify a filed return with Aadhaar OTP"),
    ("/itr", "icon-link", "Link Aadhaar", "Link your Aadhaar with your PAN"),
    ("#calculator", "icon-calc", "Income tax calculator", "Estimate tax under the new regime"),
)  # fmt: skip

_UPDATES = (
    ("02 Nov 2026", "Belated and revised returns for AY 2026-27 can be filed until "
     "31 December 2026."),
    ("16 Oct 2026", "ITR-1 and ITR-4 offline utilities for AY 2026-27 updated to version 1.4."),
    ("21 Sep 2026", "Refunds for AY 2026-27 are being issued to pre-validated bank accounts."),
    ("04 Sep 2026", "Beware of phishing: the department never asks for your password or OTP "
     "by phone, SMS or email."),
    ("28 Aug 2026", "Stuck on a form? Press Co-browse and our helpdesk can guide you on "
     "screen, only after you allow it."),
)  # fmt: skip


def home_page(shell: Shell, *, user: UserSession | None) -> str:
    cards = "".join(
        f"""<li><a class="quick-card" href="{href}">
  <span class="quick-icon {icon}" aria-hidden="true"></span>
  <span class="quick-title">{esc(title)}</span>
  <span class="quick-text">{esc(text)}</span></a></li>"""
        for href, icon, title, text in _QUICK_LINKS
    )
    updates = "".join(
        f"<li><time>{esc(date)}</time><p>{esc(text)}</p></li>" for date, text in _UPDATES
    )
    greeting = (
        f'<p class="hero-user">Signed in as {esc(user.name)}. '
        '<a href="/dashboard">Go to your dashboard</a></p>'
        if user
        else ""
    )
    body = f"""<section class="hero">
  <div class="wrap hero-row">
    <div class="hero-copy">
      <p class="eyebrow">Assessment Year {ASSESSMENT_YEAR}</p>
      <h1>Income Tax e-Filing</h1>
      <p class="lead">File your income tax return, e-verify it and track your refund online,
        from anywhere, at any time.</p>
      {greeting}
      <div class="hero-actions">
        <a class="button primary" href="/itr">File your return</a>
        <a class="button ghost" href="/dashboard/refund-status">Track refund</a>
      </div>
    </div>
    <img class="hero-art" src="/static/hero.svg" alt="" width="420" height="300">
  </div>
</section>
<div class="wrap">
  <section class="section" aria-labelledby="quick-heading">
    <h2 id="quick-heading">Quick links</h2>
    <ul class="quick-grid">{cards}</ul>
  </section>
  <div class="two-col">
    <section class="card" aria-labelledby="updates-heading">
      <h2 id="updates-heading">Latest updates</h2>
      <ul class="updates">{updates}</ul>
    </section>
    <section class="card" id="calculator" aria-labelledby="calc-heading">
      <h2 id="calc-heading">Income tax calculator</h2>
      <p class="muted">New regime, AY {ASSESSMENT_YEAR}, salaried individual below 60 years.</p>
      <div class="field">
        <label for="calc-salary">Annual salary (₹)</label>
        <input id="calc-salary" type="text" inputmode="decimal" autocomplete="off"
          placeholder="e.g. 12,50,000" data-tax-estimate="calc-result">
      </div>
      <output id="calc-result" class="estimate" aria-live="polite">Type a salary to see
        the tax.</output>
    </section>
  </div>
  <section class="section help-band" id="help" aria-labelledby="help-heading">
    <img src="/static/emblem.svg" alt="" width="56" height="56">
    <div>
      <h2 id="help-heading">Need help while filing?</h2>
      <ol class="steps">
        <li>Call the helpdesk on 1800 000 0000.</li>
        <li>Press <strong>Co-browse</strong> at the bottom of the page and read out the PIN.</li>
        <li>Press <strong>Allow</strong> when the agent joins. Your PAN, Aadhaar, bank account
          and password stay hidden from the agent, and <strong>Stop</strong> ends it.</li>
      </ol>
    </div>
  </section>
</div>"""
    return page(shell, title="Home", body=body, user=user, active="home", scripts=("portal.js",))


def login_page(shell: Shell, *, pan: str = "", error: str | None = None, next_url: str = "") -> str:
    alert = f'<div class="alert" role="alert">{esc(error)}</div>' if error else ""
    pan_field = field(
        name="pan",
        label="PAN",
        value=pan,
        hint="Your Permanent Account Number, for example ABCPE1234F",
        masked=True,
        attrs='autocomplete="username" autocapitalize="characters" spellcheck="false" '
        'maxlength="10"',
    )
    password_field = field(
        name="password",
        label="Password",
        input_type="password",
        masked=True,
        attrs='autocomplete="current-password"',
    )
    next_input = f'<input type="hidden" name="next" value="{esc(next_url)}">' if next_url else ""
    body = f"""<div class="wrap narrow-page">
  <div class="login-grid">
    <section class="card login-card" aria-labelledby="login-heading">
      <h1 id="login-heading">Login</h1>
      <p class="muted">Enter your PAN to continue to e-Filing.</p>
      {alert}
      <form method="post" action="/login" class="stack" novalidate>
        {next_input}
        {pan_field}
        {password_field}
        <button type="submit" class="button primary wide">Login</button>
      </form>
      <p class="demo-note">Demo: any well-formed PAN with the password <code>demo1234</code>.</p>
    </section>
    <aside class="card info-card">
      <img src="/static/hero.svg" alt="" width="280" height="200">
      <h2>Secure access</h2>
      <ul class="ticks">
        <li>Your session ends after 30 minutes without activity.</li>
        <li>Never share your password, not even with the helpdesk.</li>
        <li>During a co-browse, the agent cannot see what you type here.</li>
      </ul>
    </aside>
  </div>
</div>"""
    return page(shell, title="Login", body=body, user=None, active="login")


def error_page(shell: Shell, *, user: UserSession | None, title: str, message: str) -> str:
    body = f"""<div class="wrap narrow-page">
  <section class="card">
    <h1>{esc(title)}</h1>
    <p>{esc(message)}</p>
    <p><a class="button primary" href="/">Back to home</a></p>
  </section>
</div>"""
    return page(shell, title=title, body=body, user=user)
