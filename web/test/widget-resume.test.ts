// @vitest-environment happy-dom
/**
 * The widget across a drop (inline mode): the session bar says "Reconnecting…" while
 * the socket is down and until the server's `synced`; the page is snapshotted again
 * on the new connection; the hello of a reconnect carries the last frame number.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WidgetController } from '../src/widget/controller';
import { Recorder } from '../src/widget/recorder';
import { translator } from '../src/i18n';
import { FakeSocket } from './fake-socket';

const BASE = 'https://cb.example/';
const WELCOME = { t: 'welcome', role: 'visitor', session_id: 's_1', state: 'active', agent: { name: 'Asha' }, pin_display: null, expires_at: null };

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
  sessionStorage.clear();
  document.body.innerHTML = '<main><h1>Site</h1></main>';
  sessionStorage.setItem(
    'cobrowse:visitor:https://cb.example',
    JSON.stringify({ session_id: 's_1', visitor_token: 'vt_1', ws_url: 'wss://cb.example/ws', selectors: [], agent: { name: 'Asha' }, mode: 'inline' }),
  );
  vi.stubGlobal('WebSocket', FakeSocket);
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

function bar(): HTMLElement {
  return document.querySelector('cobrowse-widget')!.shadowRoot!.querySelector('.cb-bar') as HTMLElement;
}

describe('widget across a drop', () => {
  it.each([
    ['en', 'Asha is viewing this tab', 'Reconnecting…'],
    ['hi', 'Asha यह टैब देख रहे हैं', 'फिर से जोड़ा जा रहा है…'],
  ] as const)('says so in the session bar (%s) until synced', (lang, viewing, reconnecting) => {
    // rrweb does not run in happy-dom: the recorder's start stands for a snapshot.
    const on = new WeakSet<Recorder>();
    const start = vi.spyOn(Recorder.prototype, 'start').mockImplementation(function (this: Recorder) {
      on.add(this);
    });
    vi.spyOn(Recorder.prototype, 'stop').mockImplementation(function (this: Recorder) {
      on.delete(this);
    });
    vi.spyOn(Recorder.prototype, 'recording', 'get').mockImplementation(function (this: Recorder) {
      return on.has(this);
    });
    new WidgetController(BASE, document, null, { tr: translator(lang) }).start();
    let ws = FakeSocket.last;
    ws.open();
    expect(ws.sent).toEqual([{ v: 1, t: 'hello', token: 'vt_1' }]); // a new page: no n
    ws.receive({ ...WELCOME, n: 2, resumed: false });
    ws.receive({ t: 'control', state: 'view' });
    ws.receive({ t: 'synced', n: 2 });
    ws.receive({ t: 'guide', n: 3, kind: 'clear', target: null, points: [], agent: { name: 'Asha' } });
    const text = bar().querySelector('[role="status"]')!;
    expect(text.textContent).toBe(viewing);
    expect(start).toHaveBeenCalledTimes(1);

    ws.drop();
    expect(text.textContent).toBe(reconnecting);
    expect(bar().hasAttribute('data-reconnecting')).toBe(true);
    expect(bar().textContent).toContain(translator(lang).s.stop); // Stop stays at hand

    vi.advanceTimersByTime(250);
    ws = FakeSocket.last;
    ws.open();
    expect(ws.sent[0]).toEqual({ v: 1, t: 'hello', token: 'vt_1', n: 3 });
    ws.receive({ ...WELCOME, n: 4, resumed: true });
    expect(start).toHaveBeenCalledTimes(2); // the page is snapshotted again
    ws.receive({ t: 'control', n: 4, state: 'requested' });
    expect(text.textContent).toBe(reconnecting);
    ws.receive({ t: 'synced', n: 4 });
    expect(bar().querySelector('[role="status"]')!.textContent).toBe(viewing);
    expect(bar().hasAttribute('data-reconnecting')).toBe(false);
  });
});
