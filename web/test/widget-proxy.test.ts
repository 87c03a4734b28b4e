// @vitest-environment happy-dom
// @vitest-environment-options {"settings": {"disableIframePageLoading": true}}
/**
 * The widget in proxy mode, as a playbook against a fake server (fetch) and a fake
 * WebSocket: Allow → overlay requested → iframe laid over the page → the frame's
 * `ready` → `record` → its events on the socket → Stop → iframe gone, visitor left on
 * the page reached in the overlay.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WidgetController } from '../src/widget/controller';
import { OVERLAY_Z_INDEX } from '../src/widget/overlay';
import { Recorder } from '../src/widget/recorder';
import { FakeSocket } from './fake-socket';

const BASE = 'https://cb.example/';
const PROXY = 'http://pabc.cobrowse.localhost:8000';
const SRC = `${PROXY}/__cobrowse/enter?ticket=T&to=%2Fa`;

interface Call {
  url: string;
  init: RequestInit;
}

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const created = {
  session_id: 's_1',
  pin: '123456',
  pin_display: '123 456',
  expires_at: Date.now() / 1000 + 600,
  visitor_token: 'vt_1',
  ws_url: 'wss://cb.example/ws',
  masking: { selectors: [] },
  grace_seconds: 30,
  mode: 'proxy',
};

let calls: Call[];
let overlayAnswer: () => Response;
let assigned: string[];

beforeEach(() => {
  calls = [];
  assigned = [];
  sessionStorage.clear();
  document.body.innerHTML = '<main><h1>Site</h1></main>';
  document.title = 'Portal';
  overlayAnswer = () => jsonResponse(201, { src: SRC, proxy_origin: PROXY });
  FakeSocket.all = [];
  vi.stubGlobal('WebSocket', FakeSocket);
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      if (url.endsWith('/api/v1/sessions')) return jsonResponse(201, created);
      if (url.endsWith('/overlay')) return overlayAnswer();
      return jsonResponse(404, {});
    }),
  );
  vi.spyOn(window.location, 'assign').mockImplementation((url: string | URL) => {
    assigned.push(String(url));
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
};

async function activeSession(): Promise<{ ws: FakeSocket; widget: WidgetController }> {
  const widget = new WidgetController(BASE, document);
  widget.start();
  const shadow = document.querySelector('cobrowse-widget')!.shadowRoot!;
  (shadow.querySelector('.cb-launch') as HTMLButtonElement).click();
  await flush();
  const ws = FakeSocket.last;
  ws.open();
  ws.receive({ t: 'welcome', role: 'visitor', session_id: 's_1', state: 'created', agent: null, pin_display: '123 456', expires_at: created.expires_at });
  ws.receive({ t: 'state', state: 'pending', agent: { name: 'Asha' } });
  ws.receive({ t: 'state', state: 'active', agent: { name: 'Asha' } });
  await flush();
  return { ws, widget };
}

/** happy-dom loads no iframe page: give the overlay iframe a window to talk to. */
function frameWindow(iframe: HTMLIFrameElement, post: (m: unknown, origin: string) => void): void {
  const win = { postMessage: post };
  Object.defineProperty(iframe, 'contentWindow', { value: win, configurable: true });
}

function frameMessage(iframe: HTMLIFrameElement, data: unknown, origin = PROXY): void {
  window.dispatchEvent(new MessageEvent('message', { data, origin, source: iframe.contentWindow }));
}

describe('widget in proxy mode', () => {
  it('lays the overlay over the page, relays its events, and leaves the visitor where they got', async () => {
    const { ws } = await activeSession();
    const overlayCall = calls.find((c) => c.url.endsWith('/overlay'))!;
    expect(overlayCall.url).toBe('https://cb.example/api/v1/sessions/s_1/overlay');
    expect((overlayCall.init.headers as Record<string, string>).Authorization).toBe('Bearer vt_1');
    expect(JSON.parse(overlayCall.init.body as string)).toEqual({ url: location.href });

    const iframe = document.querySelector('iframe') as HTMLIFrameElement;
    expect(iframe.getAttribute('src')).toBe(SRC);
    expect(iframe.getAttribute('title')).toBe('Co-browsing: Portal');
    expect(iframe.getAttribute('allow')).toBe('clipboard-read; clipboard-write; fullscreen');
    expect(iframe.hasAttribute('sandbox')).toBe(false);
    expect(iframe.getAttribute('style')).toContain(`z-index: ${OVERLAY_Z_INDEX}`);
    // Before the widget's host: the widget's bar (z-index 2147483647) stays on top.
    expect(iframe.nextElementSibling?.tagName.toLowerCase()).toBe('cobrowse-widget');
    // The top page itself is not recorded.
    expect(ws.sent.filter((m) => m.t === 'events')).toEqual([]);

    const posted: unknown[] = [];
    const targets: string[] = [];
    frameWindow(iframe, (m, origin) => {
      posted.push(m);
      targets.push(origin);
    });
    frameMessage(iframe, { cobrowse: 1, type: 'ready', href: 'https://site.example/a' });
    expect(posted).toEqual([{ cobrowse: 1, type: 'record', id: 1 }]);
    expect(targets).toEqual([PROXY]);

    const batch = [{ type: 4, timestamp: 1, data: { href: 'https://site.example/a', width: 1, height: 1 } }];
    frameMessage(iframe, { cobrowse: 1, type: 'events', id: 1, events: batch });
    frameMessage(iframe, { cobrowse: 1, type: 'events', id: 7, events: batch }); // stale id
    frameMessage(iframe, { cobrowse: 1, type: 'events', id: 1, events: batch }, 'https://evil.example');
    window.dispatchEvent(new MessageEvent('message', { data: { cobrowse: 1, type: 'events', id: 1, events: batch }, origin: PROXY, source: window }));
    expect(ws.sent.filter((m) => m.t === 'events')).toEqual([{ v: 1, t: 'events', events: batch }]);

    ws.receive({ t: 'snapshot_request' });
    expect(posted.at(-1)).toEqual({ cobrowse: 1, type: 'snapshot' });

    frameMessage(iframe, { cobrowse: 1, type: 'location', href: 'https://site.example/b?step=2' });
    expect(sessionStorage.getItem('cobrowse:overlay:https://cb.example')).toContain('/b?step=2');

    const shadow = document.querySelector('cobrowse-widget')!.shadowRoot!;
    (shadow.querySelector('.cb-danger') as HTMLButtonElement).click();
    // Stop recording, then ask for the unsaved form values before the overlay goes.
    expect(posted.slice(-2)).toEqual([
      { cobrowse: 1, type: 'stop' },
      { cobrowse: 1, type: 'collect' },
    ]);
    expect(ws.sent.at(-1)).toEqual({ v: 1, t: 'end' });
    frameMessage(iframe, { cobrowse: 1, type: 'form_state', href: 'https://site.example/b?step=2', fields: [] });
    await flush();
    expect(document.querySelector('iframe')).toBeNull();
    expect(assigned).toEqual(['https://site.example/b?step=2']);
    expect(sessionStorage.getItem('cobrowse:overlay:https://cb.example')).toBeNull();
  });

  it('hands the login over through the continuation point and writes it back at the end', async () => {
    const HANDOFF = { path: '/__cobrowse/continue', ticket: 'H1' };
    overlayAnswer = () => jsonResponse(201, { src: SRC, proxy_origin: PROXY, handoff: HANDOFF });
    document.cookie = 'pref=dark';
    const outAnswer = (): Response => jsonResponse(200, { carried: 2, elsewhere: [] });
    (fetch as unknown as ReturnType<typeof vi.fn>).mockImplementation(async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      if (url.endsWith('/api/v1/sessions')) return jsonResponse(201, created);
      if (url.endsWith('/overlay')) return overlayAnswer();
      if (url.endsWith('/__cobrowse/continue/in')) return jsonResponse(200, { return_ticket: 'R1', cookies: 3 });
      if (url.endsWith('/__cobrowse/continue/out')) return outAnswer();
      return jsonResponse(404, {});
    });
    await activeSession();
    const handIn = calls.find((c) => c.url.endsWith('/continue/in'))!;
    // On the site's own origin (its cookies go along), with cookie names, never values.
    expect(handIn.url).toBe(`${location.origin}/__cobrowse/continue/in`);
    expect(handIn.init.credentials).toBe('same-origin');
    expect(JSON.parse(handIn.init.body as string)).toEqual({ ticket: 'H1', visible: ['pref'] });
    const iframe = document.querySelector('iframe') as HTMLIFrameElement;
    expect(iframe).not.toBeNull();
    const posted: unknown[] = [];
    frameWindow(iframe, (m) => posted.push(m));
    frameMessage(iframe, { cobrowse: 1, type: 'ready', href: 'https://site.example/itr' });

    const shadow = document.querySelector('cobrowse-widget')!.shadowRoot!;
    (shadow.querySelector('.cb-danger') as HTMLButtonElement).click();
    const fields = [{ form: 0, key: 'full_name', index: 0, value: 'Meera' }];
    frameMessage(iframe, { cobrowse: 1, type: 'form_state', href: 'https://site.example/itr', fields });
    await flush();
    const out = calls.find((c) => c.url.endsWith('/continue/out'))!;
    expect(JSON.parse(out.init.body as string)).toEqual({ ticket: 'R1' });
    expect(document.querySelector('iframe')).toBeNull();
    expect(assigned).toEqual(['https://site.example/itr']);
    expect(JSON.parse(sessionStorage.getItem('cobrowse:restore')!)).toMatchObject({
      href: 'https://site.example/itr',
      fields,
    });
  });

  it('says what could not be carried back before the overlay goes', async () => {
    overlayAnswer = () =>
      jsonResponse(201, { src: SRC, proxy_origin: PROXY, handoff: { path: '/__cobrowse/continue', ticket: 'H1' } });
    (fetch as unknown as ReturnType<typeof vi.fn>).mockImplementation(async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      if (url.endsWith('/api/v1/sessions')) return jsonResponse(201, created);
      if (url.endsWith('/overlay')) return overlayAnswer();
      if (url.endsWith('/continue/in')) return jsonResponse(200, { return_ticket: 'R1', cookies: 1 });
      if (url.endsWith('/continue/out')) return jsonResponse(200, { carried: 1, elsewhere: ['login.other.example'] });
      return jsonResponse(404, {});
    });
    await activeSession();
    const iframe = document.querySelector('iframe') as HTMLIFrameElement;
    frameWindow(iframe, () => undefined);
    frameMessage(iframe, { cobrowse: 1, type: 'ready', href: 'https://site.example/a' });
    const shadow = document.querySelector('cobrowse-widget')!.shadowRoot!;
    (shadow.querySelector('.cb-danger') as HTMLButtonElement).click();
    frameMessage(iframe, { cobrowse: 1, type: 'form_state', href: 'https://site.example/a', fields: [] });
    await flush();
    const notice = shadow.querySelector('[role=alertdialog]') as HTMLElement;
    expect(notice.textContent).toContain('login.other.example');
    expect(document.querySelector('iframe')).not.toBeNull(); // still there while the visitor reads
    expect(assigned).toEqual([]);
    (notice.querySelector('button') as HTMLButtonElement).click();
    await flush();
    expect(document.querySelector('iframe')).toBeNull();
    expect(shadow.querySelector('[role=alertdialog]')).toBeNull();
    expect(assigned).toEqual(['https://site.example/a']);
  });

  it('tells the visitor when the site has no working continuation point', async () => {
    overlayAnswer = () =>
      jsonResponse(201, { src: SRC, proxy_origin: PROXY, handoff: { path: '/__cobrowse/continue', ticket: 'H1' } });
    await activeSession(); // the hand-in gets the site's 404
    const iframe = document.querySelector('iframe') as HTMLIFrameElement;
    expect(iframe).not.toBeNull(); // the overlay opens anyway, logged out
    frameWindow(iframe, () => undefined);
    const shadow = document.querySelector('cobrowse-widget')!.shadowRoot!;
    (shadow.querySelector('.cb-danger') as HTMLButtonElement).click();
    frameMessage(iframe, { cobrowse: 1, type: 'form_state', href: 'https://site.example/a', fields: [] });
    await flush();
    expect(shadow.querySelector('[role=alertdialog]')?.textContent).toContain('could not be carried back');
  });

  it('never leaves the visitor on the proxy\'s outside page', async () => {
    await activeSession();
    const iframe = document.querySelector('iframe') as HTMLIFrameElement;
    frameWindow(iframe, () => undefined);
    frameMessage(iframe, { cobrowse: 1, type: 'ready', href: 'https://site.example/help' });
    frameMessage(iframe, { cobrowse: 1, type: 'ready', href: 'https://elsewhere.example/', outside: true });
    frameMessage(iframe, { cobrowse: 1, type: 'location', href: 'https://elsewhere.example/x', outside: true });
    const shadow = document.querySelector('cobrowse-widget')!.shadowRoot!;
    (shadow.querySelector('.cb-danger') as HTMLButtonElement).click();
    frameMessage(iframe, { cobrowse: 1, type: 'form_state', href: 'https://elsewhere.example/x', fields: [] });
    await flush();
    expect(assigned).toEqual(['https://site.example/help']);
  });

  it('reopens the overlay at the stored page after a reload of the top page', async () => {
    sessionStorage.setItem(
      'cobrowse:visitor:https://cb.example',
      JSON.stringify({ session_id: 's_1', visitor_token: 'vt_1', ws_url: 'wss://cb.example/ws', selectors: [], agent: { name: 'Asha' }, mode: 'proxy' }),
    );
    sessionStorage.setItem('cobrowse:overlay:https://cb.example', JSON.stringify({ session_id: 's_1', href: 'https://site.example/c' }));
    const start = vi.spyOn(Recorder.prototype, 'start').mockImplementation(() => undefined);
    new WidgetController(BASE, document).start();
    const ws = FakeSocket.last;
    ws.open();
    ws.receive({ t: 'welcome', role: 'visitor', session_id: 's_1', state: 'active', agent: { name: 'Asha' }, pin_display: null, expires_at: null });
    await flush();
    const overlayCall = calls.find((c) => c.url.endsWith('/overlay'))!;
    expect(JSON.parse(overlayCall.init.body as string)).toEqual({ url: 'https://site.example/c' });
    expect(document.querySelector('iframe')).not.toBeNull();
    expect(start).not.toHaveBeenCalled();
  });

  it('records the top page inline when the page is not proxyable', async () => {
    overlayAnswer = () => jsonResponse(422, { error: { code: 'not_proxyable', message: 'no' } });
    // rrweb does not run in happy-dom: check that the inline recorder starts.
    const start = vi.spyOn(Recorder.prototype, 'start').mockImplementation(() => undefined);
    const { ws } = await activeSession();
    expect(document.querySelector('iframe')).toBeNull();
    expect(ws.sent.filter((m) => m.t === 'events')).toEqual([]);
    expect(start).toHaveBeenCalledTimes(1);
  });
});
