// @vitest-environment happy-dom
/**
 * The console across a drop, as a playbook against a fake server (fetch) and a fake
 * WebSocket: the mirror is paused under "Reconnecting…" until `synced`, a fresh start
 * restarts it, and acts without a result are sent again with the same ref.
 * The mirror is a stand-in (rrweb's Replayer does not run here); mirror.ts's own
 * restart is covered by the e2e reconnect tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeSocket } from './fake-socket';
import { REPO } from './fixtures';

const mirrors = vi.hoisted(() => [] as Array<{ restarts: number; added: unknown[] }>);

vi.mock('../src/console/mirror', () => {
  class LiveMirror {
    restarts = 0;
    added: Array<{ type: number }> = [];
    private startedAt: number | null = null;
    private awaiting = false;
    readonly layer = document.createElement('div');
    readonly currentScale = 1;
    readonly generation = 0;
    onScale: ((scale: number) => void) | null = null;
    shownScale: number | null = null;
    constructor() {
      mirrors.push(this);
    }
    get started(): boolean {
      return this.startedAt !== null;
    }
    get live(): boolean {
      return this.started && !this.awaiting;
    }
    restart(): void {
      this.restarts += 1;
      if (this.started) this.awaiting = true;
    }
    add(batch: Array<{ type: number }>): void {
      for (const e of batch) {
        if (!this.started || this.awaiting) {
          if (e.type !== 2 && e.type !== 4) continue;
          this.startedAt = this.added.length;
          this.awaiting = false;
        }
        this.added.push(e);
      }
    }
    pick(): null {
      return null;
    }
    setZoom(): void {}
    elementOf(): null {
      return null;
    }
    get visitorFocus(): null {
      return null;
    }
    destroy(): void {}
  }
  return { LiveMirror, MASKED_ATTRIBUTE: 'data-cobrowse-masked', FILE_ATTRIBUTE: 'data-cobrowse-file' };
});

const { ConsoleController } = await import('../src/console/controller');

const html = readFileSync(join(REPO, 'src', 'cobrowse', 'server', 'static', 'console.html'), 'utf8');
const body = /<body>([\s\S]*)<\/body>/.exec(html)![1]!;

const WELCOME = { t: 'welcome', role: 'agent', session_id: 's_1', state: 'active', agent: { name: 'Asha' }, pin_display: null, expires_at: null };
const META = { type: 4, timestamp: 1, data: { href: 'https://site.example/', width: 800, height: 600 } };
const SNAPSHOT = { type: 2, timestamp: 2, data: { node: {}, initialOffset: { top: 0, left: 0 } } };
const INCREMENT = { type: 3, timestamp: 3, data: { source: 0, texts: [], attributes: [], removes: [], adds: [] } };

beforeEach(() => {
  FakeSocket.all = [];
  mirrors.length = 0;
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
  document.body.innerHTML = body;
  sessionStorage.clear();
  sessionStorage.setItem('cobrowse:agent-session', JSON.stringify({ session_id: 's_1', agent_token: 'at_1', ws_url: 'wss://cb.example/ws' }));
  vi.stubGlobal('WebSocket', FakeSocket);
  vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ agent: { name: 'Asha' } }), { status: 200 })));
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const $ = (id: string): HTMLElement => document.getElementById(id)!;
const status = (): string => $('session-status').textContent ?? '';
const paused = (): HTMLElement => document.querySelector('.mirror-paused') as HTMLElement;

async function live(): Promise<FakeSocket> {
  await new ConsoleController().start();
  const ws = FakeSocket.last;
  ws.open();
  expect(ws.sent).toEqual([{ v: 1, t: 'hello', token: 'at_1' }]);
  ws.receive({ ...WELCOME, n: 3, resumed: false });
  ws.receive({ t: 'control', state: 'view' });
  ws.receive({ t: 'events', n: 2, events: [META, SNAPSHOT] });
  ws.receive({ t: 'events', n: 3, events: [INCREMENT] });
  expect(status()).toBe('Connecting…'); // the catch-up is not over: not live yet
  ws.receive({ t: 'synced', n: 3 });
  expect(status()).toBe('Live: you are viewing the visitor’s tab.');
  expect(paused().hidden).toBe(true);
  return ws;
}

function reconnect(): FakeSocket {
  FakeSocket.last.drop();
  vi.advanceTimersByTime(250);
  const ws = FakeSocket.last;
  ws.open();
  return ws;
}

describe('console across a drop', () => {
  it('pauses the mirror under "Reconnecting…" until synced, then resumes from the last frame number', async () => {
    const ws = await live();
    ws.receive({ t: 'events', n: 5, events: [INCREMENT] });
    ws.drop();
    expect(status()).toBe('Reconnecting…');
    expect(paused().hidden).toBe(false);
    expect(paused().getAttribute('role')).toBe('status');
    expect(paused().textContent).toBe('Reconnecting…');
    expect($('mirror-area').classList.contains('paused')).toBe(true);

    vi.advanceTimersByTime(250);
    const again = FakeSocket.last;
    again.open();
    expect(again.sent[0]).toEqual({ v: 1, t: 'hello', token: 'at_1', n: 5 });
    again.receive({ ...WELCOME, n: 7, resumed: true });
    again.receive({ t: 'events', n: 6, events: [INCREMENT] });
    expect(status()).toBe('Reconnecting…');
    expect(paused().hidden).toBe(false);
    again.receive({ t: 'synced', n: 7 });
    expect(status()).toBe('Live: you are viewing the visitor’s tab.');
    expect(paused().hidden).toBe(true);
    expect($('mirror-area').classList.contains('paused')).toBe(false);
    expect(mirrors).toHaveLength(1);
    expect(mirrors[0]!.restarts).toBe(0); // resumed: the same stream goes on
    expect(mirrors[0]!.added).toHaveLength(5);
  });

  it('restarts the mirror from the history after a welcome that did not resume', async () => {
    await live();
    const ws = reconnect();
    ws.receive({ ...WELCOME, n: 40, resumed: false });
    expect(mirrors[0]!.restarts).toBe(1);
    ws.receive({ t: 'events', n: 39, events: [INCREMENT] }); // dropped: no snapshot yet
    ws.receive({ t: 'synced', n: 40 });
    // Synced, but the history had no snapshot: the old page stays paused.
    expect(status()).toBe('Connected. Waiting for the visitor’s page…');
    expect(paused().hidden).toBe(false);
    ws.receive({ t: 'events', n: 41, events: [META, SNAPSHOT] });
    expect(status()).toBe('Live: you are viewing the visitor’s tab.');
    expect(paused().hidden).toBe(true);
    expect(mirrors).toHaveLength(1);
  });

  it('sends acts without a result again after the catch-up, with the same ref', async () => {
    let ws = await live();
    ws.receive({ t: 'control', n: 4, state: 'control' });
    const back = [...document.querySelectorAll('button')].find((b) => b.querySelector('.tool-label')?.textContent === 'Back')!;
    back.click();
    back.click();
    const acts = ws.sent.filter((m) => m.t === 'act');
    expect(acts.map((m) => m.value)).toEqual(['back', 'back']);
    ws.receive({ t: 'act_result', n: 5, ref: acts[0]!.ref, ok: true, reason: null });

    ws = reconnect();
    ws.receive({ ...WELCOME, n: 6, resumed: true });
    expect(ws.types).toEqual(['hello']); // not during the catch-up: its results may be in it
    ws.receive({ t: 'synced', n: 6 });
    expect(ws.sent.filter((m) => m.t === 'act')).toEqual([acts[1]]);

    // Answered in the next catch-up: not sent again.
    ws = reconnect();
    ws.receive({ ...WELCOME, n: 7, resumed: true });
    ws.receive({ t: 'act_result', n: 7, ref: acts[1]!.ref, ok: true, reason: null });
    ws.receive({ t: 'synced', n: 7 });
    expect(ws.types).toEqual(['hello']);
  });

  it('gives up an act unanswered for too long, and drops acts once control is gone', async () => {
    let ws = await live();
    ws.receive({ t: 'control', n: 4, state: 'control' });
    // The status line and a success notice (announced politely, not as an alert) say so.
    expect(status()).toBe('Live: you have control of the visitor’s tab.');
    const granted = document.querySelector('.console-notice')!;
    expect(granted.getAttribute('data-kind')).toBe('success');
    expect(granted.closest('[role]')!.getAttribute('role')).toBe('status');
    const back = [...document.querySelectorAll('button')].find((b) => b.querySelector('.tool-label')?.textContent === 'Back')!;
    back.click();
    vi.spyOn(performance, 'now').mockReturnValue(performance.now() + 16_000);
    vi.advanceTimersByTime(16_000);
    const notice = document.querySelector('.console-notice')!;
    expect(notice.textContent).toMatch(/No answer/);
    expect(notice.getAttribute('data-kind')).toBe('warning');
    ws = reconnect();
    ws.receive({ ...WELCOME, n: 4, resumed: true });
    ws.receive({ t: 'synced', n: 4 });
    expect(ws.types).toEqual(['hello']);

    back.click();
    ws.drop();
    vi.advanceTimersByTime(5000);
    ws = FakeSocket.last;
    ws.open();
    ws.receive({ ...WELCOME, n: 9, resumed: false });
    ws.receive({ t: 'control', state: 'view' }); // the hold ran out meanwhile
    ws.receive({ t: 'synced', n: 9 });
    expect(ws.types).toEqual(['hello']);
  });
});

describe('the language switch', () => {
  afterEach(() => {
    document.documentElement.lang = 'en';
    localStorage.clear();
  });

  it('relabels the live session at once, keeps it going, and is remembered', async () => {
    const ws = await live();
    const select = document.getElementById('lang') as HTMLSelectElement;
    select.value = 'hi';
    select.dispatchEvent(new Event('change'));
    expect(document.documentElement.lang).toBe('hi');
    expect(localStorage.getItem('cobrowse:console-lang')).toBe('hi');
    expect(status()).toBe('लाइव: आप उपयोगकर्ता का टैब देख रहे हैं।');
    expect($('leave').textContent).toBe('सत्र छोड़ें');
    const names = [...document.querySelectorAll('.agent-toolbar button')].map((b) => b.textContent);
    expect(names).toContain('नियंत्रण का अनुरोध करें');
    expect(names.join(' ')).not.toMatch(/Request control|Pointer|Clear/);
    expect($('mirror-area').getAttribute('aria-label')).toBe('उपयोगकर्ता की स्क्रीन');
    expect(document.querySelector('.cb-chat-send')!.textContent).toBe('भेजें');
    // Control comes: the status line says it, in Hindi.
    ws.receive({ t: 'control', n: 4, state: 'control' });
    expect(status()).toBe('लाइव: उपयोगकर्ता के टैब का नियंत्रण आपके पास है।');
    expect(ws.types).toEqual(['hello']); // nothing else was sent
    expect(FakeSocket.last).toBe(ws); // and the socket is the same: no reload, no reconnect
  });
});
