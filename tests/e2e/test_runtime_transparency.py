"""The runtime's transparency getters, in Chromium: what a page script reads through the
proxy equals what it reads on the direct load (web/src/runtime/location.ts,
patches/getters.ts), and the runtime's own elements are gone from the DOM.

Page scripts here are not rewritten by the server, so the emulated location is read
through `__cobrowse$.w(location)`, as rewritten code reads it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import Pair
from tests.e2e.corpus.proxy import ProxyServer, running_proxy
from tests.e2e.corpus.site import Corpus, running_corpus
from tests.e2e.demo_process import Demo
from tests.e2e.test_proxy import allow
from tests.e2e.test_story import OVERLAY, mirror, mirror_frame

pytestmark = pytest.mark.e2e

PAGE = "/runtime-transparency.html"
WAIT_MS = 15_000

# What a script reads: every value is compared between the direct and the proxied load.
READ = """async () => {
  const hooks = globalThis.__cobrowse$;
  const w = (v) => (hooks ? hooks.w(v) : v);
  const loc = w(location);
  const a = document.getElementById('abs');
  const rel = document.getElementById('rel');
  const img = document.getElementById('img');
  const form = document.getElementById('form');
  const out = {};
  out.location = Object.fromEntries(['href', 'origin', 'protocol', 'host', 'hostname', 'port',
    'pathname', 'search', 'hash'].map((k) => [k, loc[k]]));
  out.locationString = [String(loc), `${loc}`, loc.toString(),
    JSON.parse(JSON.stringify(loc)).href];
  out.locationIdentity = [loc instanceof Location, loc === w(location),
    loc === w(document.location), loc.valueOf() === loc, Object.prototype.toString.call(loc),
    [...loc.ancestorOrigins]];
  out.windows = [w(top) === window, w(parent) === window, window.parent === window,
    window.frameElement, window.origin];
  out.document = [document.URL, document.documentURI, document.baseURI, document.body.baseURI,
    document.referrer, document.domain];
  let domainError = null;
  try { document.domain = 'no-such-parent.example'; } catch (e) { domainError = e.name; }
  out.domain = [domainError, document.domain];
  out.anchors = [a.href, a.origin, a.protocol, a.host, a.hostname, a.port, a.pathname, a.search,
    a.hash, rel.href, rel.origin, a.getAttribute('href'), a.attributes.href.value,
    a.getAttributeNode('href').value];
  const probe = document.createElement('a');
  probe.href = '/probe?q=1';
  out.probe = [probe.href, probe.host, probe.origin];
  probe.hostname = 'localhost';
  out.probeSet = probe.href;
  out.elements = [img.src, document.getElementById('set').src, img.getAttribute('src'), form.action,
    form.getAttribute('action')];
  out.injected = [document.scripts.length, document.querySelectorAll('[src]').length,
    document.getElementsByTagName('script').length, document.getElementById('__cobrowse_config'),
    document.head.children.length];
  // Serialised markup, CSS text and computed values, style sheets, exception messages.
  const wrap = document.getElementById('wrap');
  const bg = document.getElementById('bg');
  const css = document.getElementById('css');
  out.markup = [a.outerHTML, wrap.outerHTML, wrap.innerHTML, wrap.getHTML(), bg.outerHTML,
    css.innerHTML, new XMLSerializer().serializeToString(wrap)];
  const computed = getComputedStyle(bg);
  const rule = css.sheet.cssRules[0];
  out.styles = [computed.backgroundImage, computed['background-image'],
    computed.getPropertyValue('background-image'), getComputedStyle(wrap).backgroundImage,
    bg.style.backgroundImage, bg.style.cssText, bg.style.getPropertyValue('background-image'),
    rule.cssText, rule.style.backgroundImage, css.textContent, css.sheet.href,
    bg.style === bg.style, bg.style instanceof CSSStyleDeclaration, bg.style.length,
    bg.style[0], [...bg.style].length];
  const sheets = document.styleSheets;
  out.sheets = [sheets.length, [...sheets].map((s) => s.href), sheets.item(0).href,
    sheets[0].href, Object.keys(sheets).length, sheets instanceof StyleSheetList,
    sheets === document.styleSheets, sheets.item(sheets.length)];
  bg.style.backgroundColor = 'red';
  bg.style.setProperty('color', 'blue');
  out.styleSet = [getComputedStyle(bg).backgroundColor, getComputedStyle(bg).color,
    bg.getAttribute('style').includes('background-color')];
  try {
    history.pushState(null, '', 'http://elsewhere.invalid/');
    out.exception = 'no error';
  } catch (e) {
    out.exception = [e.name, e.code, e.message, String(e), e.stack.split('\\n')[0],
      e instanceof DOMException, Object.getOwnPropertyNames(e)];
  }
  // Markup written back holds upstream URLs: it still loads through the proxy only.
  const violations = [];
  document.addEventListener('securitypolicyviolation', (e) => violations.push(e.blockedURI));
  const before = wrap.innerHTML;
  wrap.innerHTML = wrap.innerHTML;
  bg.insertAdjacentHTML('afterend',
    `<img id="adj" alt="adj" src="${loc.origin}/img/blue-8x8.png">`);
  const added = [...wrap.querySelectorAll('img'), document.getElementById('adj')];
  const loaded = await Promise.all(
    added.map((i) => i.decode().then(() => i.naturalWidth, () => 0)));
  out.writtenBack = [wrap.innerHTML === before, loaded, document.getElementById('adj').src,
    violations];
  const response = await fetch('/api/items');
  const xhr = await new Promise((done) => {
    const r = new XMLHttpRequest();
    r.open('GET', '/api/items');
    r.onload = () => done(r.responseURL);
    r.send();
  });
  out.network = [response.url, new Request('/x?y=1').url, xhr];
  // A Link header holding this document's own origin (the proxy's, through the proxy).
  const link = new Headers({ link: `<${location.origin}/a.css>; rel=preload` });
  const each = [];
  link.forEach((v) => each.push(v));
  out.link = [link.get('link'), [...link][0][1], [...link.entries()][0][1],
    [...link.values()][0], each[0]];
  await Promise.all([...document.images].map((i) => i.decode().catch(() => null)));
  const names = (list) => [...new Set(list.map((e) => e.name))]
    .filter((n) => !n.startsWith('data:')).sort();
  out.performance = [names(performance.getEntriesByType('resource')),
    names(performance.getEntries().filter((e) => e.entryType === 'resource')),
    performance.getEntriesByName(img.src).length,
    names(performance.getEntriesByType('navigation'))];
  // What the runtime replaced prints as native code.
  const accessor = (o, k) => Object.getOwnPropertyDescriptor(o, k).get;
  out.native = [accessor(Document.prototype, 'URL'), accessor(Node.prototype, 'baseURI'),
    accessor(HTMLAnchorElement.prototype, 'href'), accessor(HTMLAnchorElement.prototype, 'host'),
    accessor(Document.prototype, 'domain'), accessor(window, 'origin'), accessor(window, 'parent'),
    Element.prototype.getAttribute, Element.prototype.setAttribute, window.fetch, setTimeout,
    Function, Function.prototype.toString, accessor(loc, 'href'), loc.assign, loc.toString,
    accessor(Element.prototype, 'outerHTML'), accessor(Document.prototype, 'styleSheets'),
    accessor(DOMException.prototype, 'message'), accessor(HTMLElement.prototype, 'style'),
    getComputedStyle, CSSStyleDeclaration.prototype.getPropertyValue,
    XMLSerializer.prototype.serializeToString]
    .map((f) => Function.prototype.toString.call(f).includes('[native code]'));
  // Code made from strings at run time goes through the in-page rewriter.
  const directEval = (code) => (hooks ? eval(hooks.e(code)) : eval(code));
  const later = (name) => new Promise((done) => {
    const check = () => (name in window ? done(window[name]) : setTimeout(check, 10));
    check();
  });
  setTimeout('window.__timer = location.href');
  const button = document.createElement('button');
  button.setAttribute('onclick', 'window.__handler = location.pathname');
  button.click();
  const js = document.createElement('a');
  js.href = 'javascript:void (window.__js = location.search)';
  document.body.appendChild(js);
  js.click();
  out.code = [new Function('return location.href')(), Function('return top === self')(),
    (function () {}).constructor('return parent === self')(), directEval('location.host'),
    await later('__timer'), window.__handler, await later('__js'),
    new Function('return location.href').toString().includes('__cobrowse$')];
  // A window's message to itself: its origin is the emulated location's.
  const message = new Promise((done) => {
    window.addEventListener('message', (e) => done([e.origin, e.origin === loc.origin]),
      { once: true });
  });
  if (hooks) hooks.p(window, 'hi', loc.origin);
  else window.postMessage('hi', location.origin);
  out.message = await message;
  return out;
}"""


@pytest.fixture(scope="module")
def corpus() -> Iterator[Corpus]:
    with running_corpus() as c:
        yield c


@pytest.fixture(scope="module")
def proxy(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyServer]:
    with running_proxy(tmp_path_factory.mktemp("transparency"), corpus) as server:
        yield server


def _read(browser: Browser, url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The values on the page at `url`, then on the page its #next link opens (a referrer)."""
    ctx = browser.new_context()
    try:
        page = ctx.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(url)
        page.wait_for_load_state("load")
        first: dict[str, Any] = page.evaluate(READ)
        page.click("#next")
        page.wait_for_url("**step=2")
        page.wait_for_load_state("load")
        second: dict[str, Any] = page.evaluate(READ)
        return first, second
    finally:
        ctx.close()


def test_scripts_read_the_upstream_urls(
    corpus: Corpus, proxy: ProxyServer, browser: Browser, tmp_path: Path
) -> None:
    direct = _read(browser, corpus.a + PAGE)
    session = proxy.open_session()
    try:
        proxied = _read(browser, session.overlay(corpus.a + PAGE))
    finally:
        session.close()
    # The direct values are the upstream ones (a sanity check of the page itself).
    assert direct[0]["document"][0] == corpus.a + PAGE
    assert direct[1]["document"][4] == corpus.a + PAGE
    assert corpus.a in direct[0]["markup"][2] and corpus.a in direct[0]["styles"][0]
    assert direct[0]["exception"][2].count(corpus.a) == 2
    for d, p in zip(direct, proxied, strict=True):
        for key in d:
            assert p[key] == d[key], json.dumps({"key": key, "direct": d[key], "proxy": p[key]})


# In the overlay frame: the proxied root reads as the top window, as it was upstream.
IN_OVERLAY = """() => {
  const w = __cobrowse$.w;
  const loc = w(location);
  return [w(top) === window, w(parent) === window, window.parent === window,
    window.frameElement, [...loc.ancestorOrigins], loc.origin, document.URL, window.origin];
}"""

# document.styleSheets beside the style sheets of the page's own elements.
SHEETS = """() => {
  const own = [...document.querySelectorAll('style, link[rel~=stylesheet]')]
    .filter((el) => el.sheet && !el.hasAttribute('data-cobrowse-ui'));
  const list = document.styleSheets;
  return {length: list.length, iterated: [...list].length, keys: Object.keys(list).length,
    own: own.length, same: [...list].every((s, i) => s.ownerNode === own[i]),
    item: list.item(list.length), index: list[list.length] === undefined};
}"""

# URL attributes in the agent's mirror: where its browser loads the page's resources from.
MIRROR_URLS = """() => [...document.querySelectorAll('[src], link[href]')]
  .map((el) => el.getAttribute('src') || el.getAttribute('href'))"""


def test_in_the_overlay_the_page_is_on_top_and_the_mirror_keeps_proxy_urls(
    pair: Pair, proxy_demo: Demo
) -> None:
    pair.visitor.goto(proxy_demo.portal + "/")
    allow(pair, proxy_demo)
    expect(pair.visitor.frame_locator(OVERLAY).get_by_role("heading", level=1)).to_be_visible()
    handle = pair.visitor.locator(OVERLAY).element_handle()
    assert handle is not None
    frame = handle.content_frame()
    assert frame is not None
    origin = proxy_demo.portal.rstrip("/")
    assert frame.evaluate(IN_OVERLAY) == [
        True,
        True,
        True,
        None,
        [],
        origin,
        origin + "/",
        origin,
    ]
    # The recording's marker style (masked elements, for the visitor) is not the page's.
    expect(frame.locator("style[data-cobrowse-ui]")).to_have_count(1)
    frame.wait_for_function(
        "() => [...document.querySelectorAll('link[rel~=stylesheet]')].every((l) => l.sheet)",
        timeout=WAIT_MS,
    )
    sheets = frame.evaluate(SHEETS)
    assert sheets["own"] > 0, sheets
    n = sheets["own"]
    assert sheets == {
        "length": n,
        "iterated": n,
        "keys": n,
        "own": n,
        "same": True,
        "item": None,
        "index": True,
    }
    # The recorder read natively: the mirror loads from the server, never from upstream.
    expect(mirror(pair.agent).get_by_role("heading", level=1)).to_be_visible()
    urls = [u for u in mirror_frame(pair.agent).evaluate(MIRROR_URLS) if u]
    assert urls, "the mirror has no resource to check"
    assert [u for u in urls if u.startswith(origin)] == [], urls
