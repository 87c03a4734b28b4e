"""Agent sign-in pages: local accounts (username and password), SSO (OpenID Connect),
and sign-out. The CRM-signed link lands on /agent/signin (pages.py).

The password form is protected against cross-site posting twice: the session
cookie it creates is SameSite=Strict, and the form carries a token bound to a
short-lived cookie of this browser (HMAC with a key derived from the link secret, so
every node accepts every node's forms: auth.derive_form_key), so another site can
neither post it with our cookie nor forge a token for it. Failed sign-ins are
throttled per username and per address (core/ratelimit.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import logging
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from cobrowse.core.oidc import OidcError
from cobrowse.core.origins import origin_matches_host
from cobrowse.server.api import set_agent_cookie
from cobrowse.server.auth import AGENT_COOKIE
from cobrowse.server.context import Context, client_address, get_context
from cobrowse.server.datafiles import DataFileError

router = APIRouter(include_in_schema=False)
log = logging.getLogger("cobrowse.signin")

LOGIN_COOKIE = "cobrowse_login"
OIDC_COOKIE = "cobrowse_oidc"
FORM_TTL = 1800
MAX_FIELD = 1024

LOGIN_CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _form_token(ctx: Context, cookie: str) -> str:
    return hmac.new(ctx.form_key, cookie.encode(), hashlib.sha256).hexdigest()


def _same_origin(request: Request) -> bool:
    """No Origin, or ours. "null" is what our own pages send (Referrer-Policy:
    no-referrer); it passes here because what really stops a cross-site post is
    the SameSite=Strict cookie it would need (and the form token, for sign-in)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return origin_matches_host(origin, request.headers.get("host", ""))


def _has_accounts(ctx: Context) -> bool:
    try:
        return bool(ctx.accounts)
    except DataFileError:
        log.exception("the accounts file cannot be read")
        return False


def login_page(
    ctx: Context,
    *,
    error: str = "",
    notice: str = "",
    username: str = "",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The sign-in choices: the password form (when there are accounts), the SSO
    button (when configured), and a word about the CRM's link."""
    cookie = secrets.token_urlsafe(24)
    accounts = _has_accounts(ctx)
    e = html.escape
    parts: list[str] = []
    if error:
        parts.append(f'<p id="login-error" class="error" role="alert">{e(error)}</p>')
    if notice:
        parts.append(f'<p id="login-notice" class="notice" role="status">{e(notice)}</p>')
    invalid = ' aria-invalid="true" aria-describedby="login-error"' if error else ""
    if accounts:
        focus_user = "" if username else " autofocus"
        focus_pass = " autofocus" if username else ""
        parts.append(
            f"""<form class="signin-form" method="post" action="/agent/login">
<input type="hidden" name="csrf" value="{_form_token(ctx, cookie)}">
<div class="field"><label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required
 maxlength="64" spellcheck="false" autocapitalize="none" value="{e(username)}"{invalid}{focus_user}>
</div>
<div class="field"><label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required
 maxlength="{MAX_FIELD}"{invalid}{focus_pass}></div>
<button class="button primary" type="submit">Sign in</button>
</form>"""
        )
    if ctx.oidc is not None:
        label = e(ctx.config.auth.oidc_button_label)
        divider = '<p class="or"><span>or</span></p>' if accounts else ""
        parts.append(f'{divider}<p><a class="button sso" href="/agent/oidc/start">{label}</a></p>')
    link_hint = (
        "You can also open the console from your CRM's co-browse link."
        if accounts or ctx.oidc is not None
        else "Open the console from your CRM's co-browse link."
    )
    parts.append(f'<p class="muted">{link_hint}</p>')
    title = ("Error: " if error else "") + "Agent sign-in · Co-browse"
    body = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{e(title)}</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/console-page.css">
<style>
.signin-form {{ display: flex; flex-direction: column; gap: 14px; margin-top: 8px; }}
.signin-form .field input {{ font: 400 1.05rem/1.3 inherit; letter-spacing: normal; }}
.signin-form .button, .button.sso {{ align-self: flex-start; }}
.button.sso {{ display: inline-block; text-decoration: none; background: #fff;
  color: var(--brand); border-color: var(--brand); }}
.or {{ color: var(--muted); margin: 18px 0 10px; }}
.panel .muted {{ margin-top: 18px; }}
.panel .error {{ margin: 0 0 16px; }}
</style>
</head>
<body>
<header class="topbar"><p class="brand"><span class="brand-mark" aria-hidden="true"></span>
Co-browse <span class="brand-sub">agent console</span></p></header>
<main id="main">
<section class="panel" aria-labelledby="signin-title">
<h1 id="signin-title">Agent sign-in</h1>
{"".join(parts)}
</section>
</main>
</body>
</html>"""
    response = HTMLResponse(
        body,
        status_code=status,
        headers={
            "Content-Security-Policy": LOGIN_CSP,
            "Cache-Control": "no-store",
            **(headers or {}),
        },
    )
    response.set_cookie(
        LOGIN_COOKIE,
        cookie,
        max_age=FORM_TTL,
        httponly=True,
        samesite="strict",
        secure=ctx.config.auth.secure_cookies,
        path="/agent/login",
    )
    return response


@router.get("/agent/login")
async def login_form(request: Request, signed_out: str = "", error: str = "") -> HTMLResponse:
    ctx = get_context(request)
    notice = "You are signed out." if signed_out else ""
    return login_page(ctx, notice=notice, error=_SSO_ERRORS.get(error, ""))


@router.post("/agent/login")
async def login_submit(request: Request) -> Response:
    ctx = get_context(request)
    if not _same_origin(request):
        return login_page(ctx, error="Sign in from this page.", status=403)
    form = await request.form()
    username = str(form.get("username") or "")[:MAX_FIELD]
    password = str(form.get("password") or "")[: MAX_FIELD + 1]
    csrf = str(form.get("csrf") or "")
    cookie = request.cookies.get(LOGIN_COOKIE)
    if not cookie or not hmac.compare_digest(csrf.encode(), _form_token(ctx, cookie).encode()):
        return login_page(
            ctx,
            error="This sign-in form expired. Please enter your details again.",
            username=username,
            status=403,
        )
    if not _has_accounts(ctx):
        return login_page(ctx, error="Local accounts are not set up on this server.", status=404)
    address = client_address(request)
    keys = [f"user:{username.strip().lower()[:64]}", f"addr:{address}"]
    now = ctx.clock()
    verdict = await ctx.login_limiter.attempt(keys, now=now)
    if verdict.refused:
        seconds = max(1, int(verdict.retry_after + 0.999))
        return login_page(
            ctx,
            error=f"Too many failed sign-ins. Try again in {seconds} seconds.",
            username=username,
            status=429,
            headers={"Retry-After": str(seconds)},
        )
    if verdict.delay:
        await asyncio.sleep(verdict.delay * ctx.sleep_scale)
    account = await asyncio.to_thread(ctx.accounts.verify, username, password)
    if account is None:
        # Only names of real accounts go to the log: people type passwords into the
        # username field.
        known = username.strip().lower() in ctx.accounts.accounts()
        who = repr(username.strip().lower()) if known else "an unknown username"
        log.info("sign-in failed for %s from %s", who, address)
        return login_page(ctx, error="Wrong username or password.", username=username, status=401)
    await ctx.login_limiter.forgive(keys, now=ctx.clock())
    log.info("agent %r signed in with a local account from %s", account.username, address)
    response = RedirectResponse("/console", status_code=303)
    cookie = await ctx.guards.sign_in(
        account.name,
        now=now,
        via="account",
        subject=account.username,
        role=account.role,
        team=account.team,
    )
    set_agent_cookie(response, ctx, cookie)
    response.delete_cookie(LOGIN_COOKIE, path="/agent/login")
    return response


@router.post("/agent/signout")
async def signout(request: Request) -> Response:
    ctx = get_context(request)
    if not _same_origin(request):
        return login_page(ctx, error="Sign out from the console.", status=403)
    await ctx.guards.sign_out(request.cookies.get(AGENT_COOKIE))
    response = RedirectResponse("/agent/login?signed_out=1", status_code=303)
    response.delete_cookie(AGENT_COOKIE, path="/")
    return response


# --- OpenID Connect -------------------------------------------------------------------

_SSO_ERRORS = {
    "sso": "Single sign-on did not work. Try again, or ask your administrator.",
}


@router.get("/agent/oidc/start")
async def oidc_start(request: Request) -> Response:
    ctx = get_context(request)
    if ctx.oidc is None:
        return login_page(ctx, error="Single sign-on is not set up on this server.", status=404)
    try:
        url, state = await ctx.oidc.start(now=ctx.clock())
    except OidcError as exc:
        log.warning("SSO start failed: %s (%s)", exc.message, exc.code)
        return login_page(ctx, error=_sso_message(exc), status=502)
    response = RedirectResponse(url, status_code=303)
    # Lax: the provider sends the browser back with a top-level GET from its own site.
    response.set_cookie(
        OIDC_COOKIE,
        state,
        max_age=600,
        httponly=True,
        samesite="lax",
        secure=ctx.config.auth.secure_cookies,
        path="/agent/oidc",
    )
    return response


@router.get("/agent/oidc/callback")
async def oidc_callback(
    request: Request, code: str = "", state: str = "", error: str = ""
) -> Response:
    ctx = get_context(request)
    if ctx.oidc is None:
        return login_page(ctx, error="Single sign-on is not set up on this server.", status=404)
    if error:
        await ctx.oidc.finish_abandoned(state, now=ctx.clock())
        log.info("SSO refused by the provider: %s", error[:100])
        return _sso_failed(ctx, "The identity provider did not sign you in.", status=401)
    try:
        who = await ctx.oidc.finish(
            state=state, code=code, browser_state=request.cookies.get(OIDC_COOKIE), now=ctx.clock()
        )
    except OidcError as exc:
        log.info("SSO sign-in refused: %s (%s)", exc.message, exc.code)
        status = 502 if exc.code in ("provider_unreachable", "provider_error") else 401
        return _sso_failed(ctx, _sso_message(exc), status=status)
    log.info("agent %r signed in through SSO from %s", who.name, client_address(request))
    response = RedirectResponse("/console", status_code=303)
    cookie = await ctx.guards.sign_in(
        who.name, now=ctx.clock(), via="sso", subject=who.subject, role=who.role, team=who.team
    )
    set_agent_cookie(response, ctx, cookie)
    response.delete_cookie(OIDC_COOKIE, path="/agent/oidc")
    return response


def _sso_failed(ctx: Context, message: str, *, status: int) -> HTMLResponse:
    response = login_page(ctx, error=message, status=status)
    response.delete_cookie(OIDC_COOKIE, path="/agent/oidc")
    return response


def _sso_message(exc: OidcError) -> str:
    if exc.code == "not_in_group":
        return "Your account is not allowed to use the co-browse console."
    if exc.code == "bad_state":
        return "This sign-in expired or was started elsewhere. Please try again."
    if exc.code in ("provider_unreachable", "provider_error", "bad_discovery"):
        return "The identity provider cannot be reached just now. Try again in a minute."
    return f"Single sign-on failed: {exc.message}"
