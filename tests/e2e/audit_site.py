"""A site for the audit and injection tests in Chromium (tests/e2e/test_audit_masking.py,
tests/e2e/test_injection.py): buttons that carry personal data, on a public page and on
a private-by-default page, with values generated per run; and pages whose title and
address are script payloads.

Every button reports a click in `#clicked` (its id, never its text), so a test can wait
for an agent's click to have happened on the visitor's side.
"""

from __future__ import annotations

import html
import json
import random
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from cobrowse.core.masking_checks import luhn_valid, mod97_valid, verhoeff_digit
from tests.e2e.demo_process import embedding_site_routes, free_port, serving_in_thread

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"


def generated_values(rng: random.Random) -> dict[str, str]:
    """One value of each kind a page could show on a button, new every run."""

    def pick(chars: str, n: int) -> str:
        return "".join(rng.choice(chars) for _ in range(n))

    aadhaar = rng.choice("23456789") + pick(DIGITS, 10)
    aadhaar += verhoeff_digit(aadhaar)
    card = "4" + pick(DIGITS, 14)
    card = next(card + d for d in DIGITS if luhn_valid(card + d))
    bban = pick(UPPER + DIGITS, 18)
    check = next(f"{n:02d}" for n in range(2, 99) if mod97_valid(f"GB{n:02d}{bban}"))
    return {
        "pan": pick(UPPER, 5) + pick(DIGITS, 4) + pick(UPPER, 1),
        "aadhaar": f"{aadhaar[:4]} {aadhaar[4:8]} {aadhaar[8:]}",
        "card": " ".join(card[i : i + 4] for i in range(0, 16, 4)),
        "iban": " ".join(f"GB{check}{bban}"[i : i + 4] for i in range(0, 22, 4)),
        "email": f"{pick('abcdefghijklmnopqrstuvwxyz', 9)}@{pick('abcdefghijk', 7)}.in",
        # private-by-default page: words no pattern knows, a PAN, an e-mail address
        "private_words": f"{pick(UPPER, 7)} {pick(UPPER, 8)}",
        "private_pan": pick(UPPER, 5) + pick(DIGITS, 4) + pick(UPPER, 1),
        "private_email": f"{pick('abcdefghijklmnopqrstuvwxyz', 9)}@{pick('abcdefghijk', 7)}.in",
    }


# Not secret: must reach the audit log (so that a search of it can find something).
PUBLIC_BUTTON = "Continue filing"
PRIVATE_HEADING = "Your refund account"

REPORT_CLICKS = """<script>
document.addEventListener('click', (e) => {
  const t = e.target.closest('[data-report]');
  if (!t) return;
  e.preventDefault();
  document.getElementById('clicked').textContent += t.id + ' ';
});
</script>"""


def masking_env(site: str) -> dict[str, str]:
    """The server's masking for the site: /private/* is private by default (only <h1>
    readable); PAN, Aadhaar, card, IBAN and e-mail patterns everywhere."""
    rules = [{"origin": site, "urls": ["/private/*"], "private_by_default": True, "allow": ["h1"]}]
    return {
        "COBROWSE_MASKING_SITES": json.dumps(rules),
        "COBROWSE_MASKING_PATTERNS": "pan,aadhaar,card,iban,email",
    }


@dataclass
class Site:
    origin: str
    values: dict[str, str]
    server: str = ""  # the cobrowse server whose widget the pages embed (set once it runs)
    # Set by a test: the <title> of /hostile/* pages.
    hostile_title: str = "Hostile page"

    def head(self, title: str) -> str:
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{title}</title>"
            f'<script src="{html.escape(self.server)}/cobrowse.js" async></script>'
            "<style>body{font:16px sans-serif;margin:16px} button{margin:4px}</style></head>"
        )

    def public_page(self) -> str:
        v = {k: html.escape(s) for k, s in self.values.items()}
        return f"""{self.head("Pay your tax")}<body>
<h1>Pay your tax</h1>
<p id="clicked"></p>
<p><button id="b-pan" data-report>Pay {v["pan"]}</button>
<button id="b-aadhaar" data-report aria-label="Link Aadhaar {v["aadhaar"]}">Link</button>
<input type="submit" id="b-card" data-report value="Card {v["card"]}">
<a href="#" id="b-iban" role="button" data-report>Refund to {v["iban"]}</a>
<button id="b-email" data-report>Mail {v["email"]}</button>
<button id="b-public" data-report>{PUBLIC_BUTTON}</button></p>
<p><a id="to-private" href="/private/account">Your account</a></p>
{REPORT_CLICKS}
</body></html>"""

    def private_page(self) -> str:
        v = {k: html.escape(s) for k, s in self.values.items()}
        return f"""{self.head("Account")}<body>
<h1>{PRIVATE_HEADING}</h1>
<p id="clicked"></p>
<p><button id="p-words" data-report>{v["private_words"]}</button>
<button id="p-pan" data-report>Refund to {v["private_pan"]}</button>
<button id="p-email" data-report title="{v["private_email"]}">{v["private_email"]}</button></p>
{REPORT_CLICKS}
</body></html>"""

    def hostile_page(self) -> str:
        return f"""{self.head(html.escape(self.hostile_title))}<body>
<h1>Hostile page</h1>
<p id="clicked"></p>
<p><button id="h-button" data-report>Press</button></p>
<p><label>Your document <input type="file" id="h-file"></label></p>
{REPORT_CLICKS}
</body></html>"""


@contextmanager
def audit_site() -> Iterator[Site]:
    """The site on audit.demo.localhost:<free port>, with values new to this run."""
    port = free_port()
    site = Site(
        origin=f"http://audit.demo.localhost:{port}",
        values=generated_values(random.Random(secrets.randbits(64))),
    )

    async def page(request: Request) -> HTMLResponse:
        path = request.url.path
        if path.startswith("/private/"):
            body = site.private_page()
        elif path.startswith("/hostile"):
            body = site.hostile_page()
        else:
            body = site.public_page()
        return HTMLResponse(body, headers={"cache-control": "no-store"})

    app = Starlette(
        routes=[
            *embedding_site_routes(lambda: site.server),
            Route("/{path:path}", page),
        ]
    )
    with serving_in_thread(app, port, what="audit site"):
        yield site
