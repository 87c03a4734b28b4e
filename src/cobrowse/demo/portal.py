"""The demo e-filing portal: a separate web app that embeds the co-browse script the way
a customer's site would. `create_portal_app(cobrowse_url=...)` builds one; all its state
lives on `app.state.portal`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.types import Message

from cobrowse.demo import pages
from cobrowse.demo.accounts import SESSION_COOKIE, UserSession, login_error, normalize_pan
from cobrowse.demo.continuation import PATH as CONTINUATION
from cobrowse.demo.continuation import continuation_forwarder
from cobrowse.demo.dashboard import (
    TABS_BY_KEY,
    AccountView,
    dashboard_page,
    tab_fragment,
    tab_title,
    when,
)
from cobrowse.demo.itr import clean_values, validate
from cobrowse.demo.itr_pages import acknowledgement_page, itr_page
from cobrowse.demo.layout import Shell, document_title
from cobrowse.demo.state import Draft, PortalState
from cobrowse.demo.static_files import STATIC_DIR, PortalStatic
from cobrowse.demo.tax import compute_tax, format_inr, parse_amount
from cobrowse.demo.uploads import (
    MAX_DOCUMENTS,
    SNIFF_BYTES,
    Document,
    TooLarge,
    document_kind,
    safe_name,
    upload_error,
)

LOGIN_BODY_LIMIT = 16 * 1024
_NEXT_PREFIXES = ("/dashboard", "/itr")


def create_portal_app(
    *,
    cobrowse_url: str,
    csp: bool = True,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    """The portal as an ASGI app. `cobrowse_url` is the co-browse server's base URL."""
    base = cobrowse_url.rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"cobrowse_url must be an http(s) URL, not {cobrowse_url!r}")
    portal = PortalState(cobrowse_url=base, clock=clock)
    views = _Views(
        portal, Shell(base), csp_header=_csp(f"{parts.scheme}://{parts.netloc}") if csp else ""
    )
    routes = [
        Route("/", views.home),
        Route("/healthz", views.healthz),
        Route("/login", views.login_form, methods=["GET"]),
        Route("/login", views.login, methods=["POST"]),
        Route("/logout", views.logout, methods=["POST"]),
        Route("/dashboard", views.dashboard),
        Route("/dashboard/{tab}", views.dashboard),
        Route("/api/dashboard/{tab}", views.dashboard_api),
        Route("/api/tax-estimate", views.tax_estimate),
        Route("/itr", views.itr_form, methods=["GET"]),
        Route("/itr", views.itr_post, methods=["POST"]),
        Route("/itr/acknowledgement/{ack}", views.acknowledgement),
        # The continuation point, as a site's nginx would route it (demo/continuation.py).
        Route(f"{CONTINUATION}/{{step}}", continuation_forwarder(base), methods=["POST"]),
        Mount("/static", app=PortalStatic(directory=STATIC_DIR), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: views.http_error})
    app.state.portal = portal
    return app


def _csp(cobrowse_origin: str) -> str:
    return (
        f"script-src 'self' {cobrowse_origin}; object-src 'none'; base-uri 'self'; "
        "form-action 'self'"
    )


def safe_next(raw: str) -> str:
    """A same-site path to return to after login, or '' if `raw` is not one of ours."""
    if not raw.startswith(_NEXT_PREFIXES) or "\\" in raw or "//" in raw or len(raw) > 200:
        return ""
    return raw if all(ch.isalnum() or ch in "/-_?=&." for ch in raw) else ""


def _limited(request: Request, limit: int) -> Request:
    """The same request, whose body raises TooLarge once it goes over `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge
    received = 0
    receive = request.receive

    async def limited_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise TooLarge
        return message

    return Request(request.scope, limited_receive)


class _Views:
    """The route handlers, bound to one portal's state."""

    def __init__(self, portal: PortalState, shell: Shell, *, csp_header: str) -> None:
        self.portal = portal
        self.shell = shell
        self.csp_header = csp_header

    # --- helpers -------------------------------------------------------------

    def html(self, content: str, status_code: int = 200) -> HTMLResponse:
        response = HTMLResponse(content, status_code=status_code)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        if self.csp_header:
            response.headers["Content-Security-Policy"] = self.csp_header
        return response

    def user(self, request: Request) -> UserSession | None:
        return self.portal.sessions.get(request.cookies.get(SESSION_COOKIE))

    def to_login(self, request: Request) -> RedirectResponse:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)

    def account_view(self, user: UserSession) -> AccountView:
        return AccountView(
            user=user,
            draft=self.portal.drafts.get(user.pan),
            filed=tuple(self.portal.submissions.get(user.pan, ())),
        )

    async def http_error(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if request.url.path.startswith(("/api/", "/static/")):
            return JSONResponse(
                {"error": {"code": "not_found" if status == 404 else "error",
                           "message": "Not found" if status == 404 else "Request failed"}},
                status_code=status,
            )  # fmt: skip
        title, message = (
            ("Page not found", "The page you asked for does not exist on this portal.")
            if status == 404
            else ("Something went wrong", "This request could not be handled. Please try again.")
        )
        content = pages.error_page(
            self.shell, user=self.user(request), title=title, message=message
        )
        return self.html(content, status_code=status)

    # --- public pages ----------------------------------------------------------

    async def healthz(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    async def home(self, request: Request) -> Response:
        return self.html(pages.home_page(self.shell, user=self.user(request)))

    async def login_form(self, request: Request) -> Response:
        next_url = safe_next(request.query_params.get("next", ""))
        if self.user(request) is not None:
            return RedirectResponse(next_url or "/dashboard", status_code=303)
        return self.html(pages.login_page(self.shell, next_url=next_url))

    async def login(self, request: Request) -> Response:
        try:
            form = await _limited(request, LOGIN_BODY_LIMIT).form(max_files=0, max_fields=10)
        except (TooLarge, MultiPartException, HTTPException):
            return self.html(pages.login_page(self.shell, error="The form could not be read."), 400)
        pan = normalize_pan(str(form.get("pan", "")))[:20]
        password = str(form.get("password", ""))
        next_url = safe_next(str(form.get("next", "")))
        error = login_error(pan, password)
        if error is not None:
            page = pages.login_page(self.shell, pan=pan, error=error, next_url=next_url)
            return self.html(page, status_code=401)
        self.portal.sessions.end(request.cookies.get(SESSION_COOKIE))
        token = self.portal.sessions.create(pan)
        response = RedirectResponse(next_url or "/dashboard", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    async def logout(self, request: Request) -> Response:
        self.portal.sessions.end(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
        return response

    # --- dashboard -------------------------------------------------------------

    async def dashboard(self, request: Request) -> Response:
        user = self.user(request)
        if user is None:
            return self.to_login(request)
        tab = TABS_BY_KEY.get(request.path_params.get("tab", "overview"))
        if tab is None or request.url.path == "/dashboard/overview":
            raise HTTPException(404)
        return self.html(dashboard_page(self.shell, view=self.account_view(user), tab=tab))

    async def dashboard_api(self, request: Request) -> Response:
        user = self.user(request)
        if user is None:
            return JSONResponse(
                {"error": {"code": "not_signed_in", "message": "Please log in again."}}, 401
            )
        tab = TABS_BY_KEY.get(request.path_params["tab"])
        if tab is None:
            raise HTTPException(404)
        response = JSONResponse(
            {
                "tab": tab.key,
                "label": tab.label,
                "url": tab.path,
                "title": document_title(tab_title(tab)),
                "html": tab_fragment(tab.key, self.account_view(user)),
            }
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    async def tax_estimate(self, request: Request) -> Response:
        amount = parse_amount(request.query_params.get("gross_salary", ""))
        if amount is None:
            return JSONResponse(
                {"error": {"code": "invalid_amount",
                           "message": "Enter the salary in rupees, for example 12,50,000."}},
                status_code=400,
            )  # fmt: skip
        tax = compute_tax(amount)
        return JSONResponse(
            {
                "gross_salary": tax.gross_salary,
                "taxable_income": tax.taxable_income,
                "total_tax": tax.total_tax,
                "text": f"{format_inr(tax.total_tax)} on a taxable income of "
                f"{format_inr(tax.taxable_income)}",
            }
        )

    # --- the return ------------------------------------------------------------

    async def itr_form(self, request: Request) -> Response:
        user = self.user(request)
        if user is None:
            return self.to_login(request)
        draft = self.portal.drafts.get(user.pan)
        values = dict(draft.values) if draft else {"full_name": user.name, "pan": user.pan}
        notice = ""
        if draft and request.query_params.get("saved") == "1":
            notice = f"Draft saved {when(draft.saved_at)}. You can finish it later."
        return self.html(self.render_itr(user, values, {}, notice=notice))

    def render_itr(
        self, user: UserSession, values: dict[str, str], errors: dict[str, str], notice: str = ""
    ) -> str:
        return itr_page(
            self.shell,
            user=user,
            values=values,
            errors=errors,
            documents=self.portal.documents.get(user.pan, []),
            notice=notice,
        )

    async def itr_post(self, request: Request) -> Response:
        user = self.user(request)
        if user is None:
            return self.to_login(request)
        limit = self.portal.max_upload_bytes * 3 + 64 * 1024
        try:
            async with _limited(request, limit).form(
                max_files=MAX_DOCUMENTS, max_fields=30
            ) as form:
                fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
                values = clean_values(fields)
                action = fields.get("action", "")
                files = [
                    v for v in form.getlist("documents") if isinstance(v, UploadFile) and v.filename
                ]
                upload_errors = [await self.attach(user, f) for f in files]
        except TooLarge:
            draft = self.portal.drafts.get(user.pan)
            errors = {
                "documents": "The files are too large together. Attach them one at a "
                f"time, up to {self.portal.max_upload_bytes // (1024 * 1024)} MB each."
            }
            page = self.render_itr(user, dict(draft.values) if draft else {}, errors)
            return self.html(page, status_code=413)
        except (MultiPartException, HTTPException):
            errors = {"documents": f"Attach at most {MAX_DOCUMENTS} documents at a time."}
            return self.html(self.render_itr(user, {}, errors), status_code=400)
        errors = {}
        problems = [e for e in upload_errors if e]
        if problems:
            errors["documents"] = " ".join(problems)
        if action == "save":
            self.portal.drafts[user.pan] = Draft(values, self.portal.clock())
            if errors:
                notice = "Draft saved, but a document was not attached."
                return self.html(self.render_itr(user, values, errors, notice), 422)
            return RedirectResponse("/itr?saved=1", status_code=303)
        if action != "submit":
            raise HTTPException(400)
        checked = validate(values)
        if isinstance(checked, dict) or errors:
            all_errors = {**(checked if isinstance(checked, dict) else {}), **errors}
            return self.html(self.render_itr(user, values, all_errors), status_code=422)
        submission = self.portal.file_return(checked, compute_tax(checked.gross_salary), user.pan)
        return RedirectResponse(f"/itr/acknowledgement/{submission.ack_number}", status_code=303)

    async def attach(self, user: UserSession, upload: UploadFile) -> str | None:
        """Check one uploaded file and keep its details; a message if it is refused."""
        name = upload.filename or ""
        head = await upload.read(SNIFF_BYTES)
        size = upload.size if upload.size is not None else len(head)
        error = upload_error(name, head, size, max_bytes=self.portal.max_upload_bytes)
        if error:
            return error
        kind = document_kind(name, head) or "PDF"
        return self.portal.add_document(user.pan, Document(safe_name(name), kind, size))

    async def acknowledgement(self, request: Request) -> Response:
        user = self.user(request)
        if user is None:
            return self.to_login(request)
        submission = self.portal.find_submission(user.pan, request.path_params["ack"])
        if submission is None:
            raise HTTPException(404)
        return self.html(acknowledgement_page(self.shell, user=user, submission=submission))
