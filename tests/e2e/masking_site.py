"""A site that puts known secrets in every place a page can hold them, for
tests/e2e/test_adversarial_masking.py. Each secret is unique, so a leak names its place.

Secrets matching a built-in value pattern (PAN, Aadhaar, card, IBAN, e-mail, phone,
bank account) must be hidden by the patterns wherever they are, also written the way
real pages write them (no-break spaces, Devanagari, Bengali or full-width digits, a
soft hyphen or zero-width space inside, split across inline elements of one block:
`WRITTEN`); secrets matching no
pattern sit only in places masked by a selector (`data-cobrowse-mask`, the site's own
`.site-secret`, password fields) or on a private-by-default page. CONTROL is not
secret: it must reach the agent, proving the search would see a leak.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from cobrowse.core.masking import BUILTIN_PATTERNS
from cobrowse.core.masking_checks import luhn_valid, verhoeff_digit
from tests.e2e.demo_process import embedding_site_routes, free_port, serving_in_thread


def aadhaar(body: str) -> str:
    """`body` (11 digits) with its Verhoeff digit, as 4-4-4."""
    full = body + verhoeff_digit(body)
    return f"{full[:4]} {full[4:8]} {full[8:]}"


def card(body: str) -> str:
    """`body` (15 digits) with its Luhn digit, as 4-4-4-4."""
    full = next(body + d for d in "0123456789" if luhn_valid(body + d))
    return " ".join(full[i : i + 4] for i in range(0, 16, 4))


def script(text: str, zero: int) -> str:
    """`text` with its ASCII digits written in the digits of the script whose zero is `zero`."""
    return "".join(chr(zero + int(c)) if c.isascii() and c.isdigit() else c for c in text)


DEVANAGARI, BENGALI, FULLWIDTH = 0x966, 0x9E6, 0xFF10
NBSP, NNBSP, SHY, ZWSP = "\u00a0", "\u202f", "\u00ad", "\u200b"

# Values written the way real pages write them; where a value is split across elements,
# the page puts its pieces in `SPLITS` (key: the lengths of the pieces).
WRITTEN: dict[str, str] = {
    "nbsp_aadhaar": aadhaar("61234567890").replace(" ", NBSP),
    "nnbsp_card": card("453201511283036").replace(" ", NNBSP),
    "nbsp_phone": f"+91{NBSP}97412{NBSP}35680",
    "nnbsp_attr_aadhaar": aadhaar("72345678901").replace(" ", NNBSP),
    "devanagari_aadhaar": script(aadhaar("83456789012"), DEVANAGARI),
    "devanagari_input_aadhaar": script(aadhaar("94567890123"), DEVANAGARI).replace(" ", NBSP),
    "bengali_card": script(card("601100009013942"), BENGALI),
    "fullwidth_aadhaar": script(aadhaar("25678901234"), FULLWIDTH),
    "shy_pan": f"SHYPN{SHY}4321K",
    "zwsp_pan": f"ZWSPN{ZWSP}5432L",
    "split_b_pan": "SPLTB6543M",
    "split_span_pan": "SPLTS7654N",
    "late_split_pan": "LATSP8765P",
}
SPLITS: dict[str, tuple[int, ...]] = {
    "split_b_pan": (5, 5),  # <b>SPLTB</b>6543M
    "split_span_pan": (3, 4, 3),  # <span>SPL</span><span>TS76</span>54N
    "late_split_pan": (5, 5),  # <b>LATSP</b>, then 8765P appended
}


SECRETS: dict[str, str] = {
    # value patterns
    "text_pan": "TEXTN1234P",
    "typed_pan": "TYPED5678Q",
    "prefilled_aadhaar": aadhaar("23456789012"),
    "autofill_card": card("411111111111111"),
    "textarea_email": "leak.textarea@example.in",
    "editable_iban": "GB82WEST12345698765432",
    "title_pan": "TITLE2345R",
    "aria_aadhaar": aadhaar("34567890123"),
    "data_card": card("550000000000000"),
    "alt_email": "leak.alt@example.in",
    "placeholder_phone": "+91 98765 43210",
    "hidden_pan": "HIDDN3456S",
    "href_pan": "HREFQ4567T",
    "url_account": "123456789012345",
    "url_email": "leak.url@example.in",
    "push_email": "leak.push@example.in",
    "canvas_pan": "CANVS5678U",
    "css_pan": "CSSCN6789V",
    "generated_css_pan": "GENCS7890W",
    "stylesheet_pan": "EXTCS2345B",
    "shadow_email": "leak.shadow@example.in",
    "shadow_input_pan": "SHDIN8901X",
    "frame_pan": "FRAME9012Y",
    "frame_input_aadhaar": aadhaar("45678901234"),
    "late_aadhaar": aadhaar("56789012345"),
    "late_attr_pan": "LATEA0123Z",
    "late_data_card": card("601100000000000"),
    "late_css_pan": "LATEC1234A",
    "chat_card": card("378282246310005"),
    # selector-masked only (no pattern would catch these)
    "selector_words": "zebra violet quartz",
    "site_selector_words": "mango orbit lantern",
    "frame_masked_words": "walnut copper meadow",
    "password_typed": "hunter orchid thirty",
    "password_shown": "tulip saffron ninety",
    # private-by-default page (/private/*): every text outside the allowed <h1>
    "private_words": "kiwi harbour pebble",
    # a selector-masked inline element: its placeholder keeps its size in the mirror
    "selector_inline_words": "amber falcon delta",
    **WRITTEN,
}
CONTROL = "CONTROL visible marker"
LATE_CONTROL = "LATE CONTROL marker"
PRIVATE_CONTROL = "PRIVATE CONTROL heading"
# Not secret, written with no-break spaces and Devanagari digits: must reach the agent.
UNICODE_CONTROL = f"UNICODE{NBSP}CONTROL वर्ष {script('2024', DEVANAGARI)}"


def masking_env(site: str) -> dict[str, str]:
    """The server's masking rules for the site (COBROWSE_MASKING_SITES, JSON)."""
    rules = [
        {"origin": site, "selectors": [".site-secret"]},
        {"origin": site, "urls": ["/private/*"], "private_by_default": True, "allow": ["h1"]},
    ]
    return {
        "COBROWSE_MASKING_SITES": json.dumps(rules),
        # every built-in pattern, phone and e-mail (opt-in) included
        "COBROWSE_MASKING_PATTERNS": ",".join(BUILTIN_PATTERNS),
    }


def _entities(text: str) -> str:
    """`text` as HTML, with the invisible and space characters written as pages do."""
    out = html.escape(text)
    for ch, entity in ((NBSP, "&nbsp;"), (SHY, "&shy;"), (ZWSP, "&#8203;"), (NNBSP, "&#8239;")):
        out = out.replace(ch, entity)
    return out


def _split(key: str, tags: tuple[str, ...]) -> str:
    """Secret `key` in pieces (SPLITS), each piece but the last in the next tag of `tags`."""
    value, out, at = SECRETS[key], [], 0
    for i, n in enumerate(SPLITS[key]):
        piece = html.escape(value[at : at + n])
        out.append(f"<{tags[i]}>{piece}</{tags[i].split()[0]}>" if i < len(tags) else piece)
        at += n
    return "".join(out)


def _written() -> str:
    """The values written the way real pages write them."""
    w = {k: _entities(v) for k, v in SECRETS.items()}
    late = SECRETS["late_split_pan"][:5]
    return f"""
<section id="written">
<p id="nbsp-aadhaar">Aadhaar {w["nbsp_aadhaar"]}</p>
<p id="nnbsp-card">Card {w["nnbsp_card"]} on file</p>
<p id="nbsp-phone">Call {w["nbsp_phone"]}</p>
<p><span id="nnbsp-attr" title="Aadhaar {w["nnbsp_attr_aadhaar"]}">hover</span></p>
<p id="devanagari" lang="hi">आधार संख्या {w["devanagari_aadhaar"]}</p>
<p><label>आधार <input id="devanagari-input" value="{w["devanagari_input_aadhaar"]}"></label></p>
<p id="bengali" lang="bn">কার্ড {w["bengali_card"]}</p>
<p id="fullwidth">Aadhaar {w["fullwidth_aadhaar"]}</p>
<p id="shy">PAN {w["shy_pan"]}</p>
<p id="zwsp">PAN {w["zwsp_pan"]}</p>
<p id="split-b">PAN {_split("split_b_pan", ("b",))}</p>
<p id="split-span">PAN {_split("split_span_pan", ("span", 'span class="mid"'))}</p>
<p id="late-split">PAN <b>{late}</b><span id="late-split-rest"></span></p>
<p id="unicode-control">{_entities(UNICODE_CONTROL)}</p>
<p id="badge-line">Badge <span class="badge" data-cobrowse-mask>{w["selector_inline_words"]}</span>
  and text after it</p>
</section>"""


def _page(server: str) -> str:
    s = {k: html.escape(v) for k, v in SECRETS.items()}
    j = {k: json.dumps(v) for k, v in SECRETS.items()}
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Your account</title>
<script src="{server}/cobrowse.js" async></script>
<link rel="stylesheet" href="/style.css">
<style id="pagestyle">
  body {{ font: 16px sans-serif; margin: 16px; }}
  .css-secret::after {{ content: "{s["css_pan"]}"; }}
  .badge {{ padding: 3px 8px; border: 1px solid #8a94a3; border-radius: 4px; }}
</style>
</head><body>
<h1>Your account</h1>
<p id="control">{CONTROL}</p>
<p id="text">My PAN is {s["text_pan"]}</p>
<p><label>Name <input id="typed" autocomplete="off"></label></p>
<p><label>Prefilled <input id="prefilled" value="{s["prefilled_aadhaar"]}"></label></p>
<p><label>Autofilled <input id="autofilled"></label></p>
<p><label>Notes <textarea id="notes">{s["textarea_email"]}</textarea></label></p>
<div id="editable" contenteditable="true">{s["editable_iban"]}</div>
<p><span id="attrs" title="{s["title_pan"]}" aria-label="{s["aria_aadhaar"]}"
  data-account="{s["data_card"]}">attributes</span></p>
<p><img alt="{s["alt_email"]}" width="1" height="1"
  src="data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="></p>
<p><input id="ph" placeholder="{s["placeholder_phone"]}">
  <input type="hidden" id="hidden" value="{s["hidden_pan"]}"></p>
<p><a id="link" href="/next?pan={s["href_pan"]}">next page</a></p>
<canvas id="canvas" width="300" height="40"></canvas>
<div class="css-secret"></div><div class="ext"></div><div class="gen"></div><div class="gen2"></div>
<div id="host"></div>
<iframe id="frame" src="/frame" width="400" height="90" title="frame"></iframe>
<div id="masked" data-cobrowse-mask>{s["selector_words"]}</div>
<div class="site-secret">{s["site_selector_words"]}</div>
<p><label>Password <input id="pw" type="password" autocomplete="off"></label>
  <button id="show" type="button">Show password</button></p>
<div id="late"></div>
{_written()}
<script>
  document.getElementById('autofilled').value = {j["autofill_card"]};
  const ctx = document.getElementById('canvas').getContext('2d');
  ctx.font = '16px sans-serif';
  ctx.fillText({j["canvas_pan"]}, 5, 25);
  const sheet = document.getElementById('pagestyle').sheet;
  sheet.insertRule('.gen::before {{ content: "' + {j["generated_css_pan"]} + '"; }}',
    sheet.cssRules.length);
  const root = document.getElementById('host').attachShadow({{ mode: 'open' }});
  root.innerHTML = '<p>' + {j["shadow_email"]} + '</p><input value="' +
    {j["shadow_input_pan"]} + '">';
  document.getElementById('show').addEventListener('click', () => {{
    const pw = document.getElementById('pw');
    pw.type = pw.type === 'password' ? 'text' : 'password';
  }});
  window.lateMutation = () => {{
    const late = document.getElementById('late');
    late.textContent = {j["late_aadhaar"]};
    late.setAttribute('title', {j["late_attr_pan"]});
    late.insertAdjacentHTML('afterend', '<p data-x="' + {j["late_data_card"]} + '">' +
      {json.dumps(LATE_CONTROL)} + '</p>');
    sheet.insertRule('.gen2::before {{ content: "' + {j["late_css_pan"]} + '"; }}', 0);
    document.getElementById('late-split-rest').textContent =
      {json.dumps(SECRETS["late_split_pan"][5:])};
  }};
  window.pushSecret = () => history.pushState({{}}, '',
    '/?email=' + encodeURIComponent({j["push_email"]}));
  window.goPrivate = () => {{
    history.pushState({{}}, '', '/private/area');
    document.getElementById('late').insertAdjacentHTML('beforebegin',
      '<h1>' + {json.dumps(PRIVATE_CONTROL)} + '</h1><p>' + {j["private_words"]} + '</p>');
  }};
</script>
</body></html>
"""


def _frame() -> str:
    s = {k: html.escape(v) for k, v in SECRETS.items()}
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>f</title></head>
<body><p>Frame PAN {s["frame_pan"]}</p>
<input id="fi" value="{s["frame_input_aadhaar"]}">
<div data-cobrowse-mask>{s["frame_masked_words"]}</div></body></html>
"""


@dataclass
class Site:
    origin: str
    server: str = ""  # the cobrowse server whose widget the pages embed (set once it runs)


@contextmanager
def masking_site() -> Iterator[Site]:
    """The site on secrets.demo.localhost:<free port>."""
    port = free_port()
    site = Site(origin=f"http://secrets.demo.localhost:{port}")

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(_page(site.server), headers={"cache-control": "no-store"})

    async def frame(request: Request) -> HTMLResponse:
        return HTMLResponse(_frame(), headers={"cache-control": "no-store"})

    async def stylesheet(request: Request) -> Response:
        css = f'.ext::after {{ content: "{SECRETS["stylesheet_pan"]}"; }}'
        return Response(css, media_type="text/css", headers={"cache-control": "no-store"})

    app = Starlette(
        routes=[
            Route("/frame", frame),
            Route("/style.css", stylesheet),
            # Integrated as the README says: the continuation point goes to the server
            # (its address is known once it runs: site.server).
            *embedding_site_routes(lambda: site.server),
            Route("/{path:path}", page),
        ]
    )
    with serving_in_thread(app, port, what="masking site"):
        yield site
