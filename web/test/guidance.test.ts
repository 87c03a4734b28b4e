// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Throttle, absolute, relative, targetAt, unscale } from '../src/guidance/geometry';
import { applyAct, describeAct, isEditable, labelOf, reasonText, refusal } from '../src/guidance/act';
import { GuideLayer } from '../src/guidance/layer';
import { act } from '../src/protocol';
import { chunkStroke, editorKind, refusedText } from '../src/console/tools';

type Win = Window & typeof globalThis;
const win = window as unknown as Win;
const opts = { mask: ['input[type=password]', '[data-cobrowse-mask]'], refuse: ['[data-cobrowse-no-agent]'] };

function page(html: string): Map<number, Node> {
  document.body.innerHTML = html;
  const ids = new Map<number, Node>();
  document.body.querySelectorAll('[data-id]').forEach((el) => ids.set(Number(el.getAttribute('data-id')), el));
  return ids;
}

afterEach(() => {
  document.body.innerHTML = '';
  vi.useRealTimers();
});

describe('geometry', () => {
  const box = { left: 100, top: 50, width: 200, height: 100 };
  it('maps points to fractions of a box and back', () => {
    expect(relative(box, 150, 75)).toEqual([0.25, 0.25]);
    expect(relative(box, 0, 250)).toEqual([-0.5, 2]);
    expect(absolute(box, 0.25, 0.25)).toEqual({ x: 150, y: 75 });
    expect(relative({ left: 0, top: 0, width: 0, height: 0 }, 5, 5)).toEqual([0, 0]);
  });
  it('clamps targets to the box', () => {
    expect(targetAt(7, box, 0, 250)).toEqual({ id: 7, x: 0, y: 1 });
    expect(targetAt(7, box, 200, 100)).toEqual({ id: 7, x: 0.5, y: 0.5 });
  });
  it('undoes the mirror scale', () => {
    expect(unscale(50, 30, 0.5)).toEqual({ x: 100, y: 60 });
    expect(unscale(50, 30, 0)).toEqual({ x: 50, y: 30 });
  });
  it('throttles to one call per interval and delivers the latest value', () => {
    vi.useFakeTimers();
    let now = 0;
    const sent: number[] = [];
    const t = new Throttle<number>(33, (v) => sent.push(v), () => now);
    t.push(1);
    t.push(2);
    t.push(3);
    expect(sent).toEqual([1]);
    now = 33;
    vi.advanceTimersByTime(33);
    expect(sent).toEqual([1, 3]);
    t.push(4);
    t.cancel();
    vi.advanceTimersByTime(100);
    expect(sent).toEqual([1, 3]);
  });
});

describe('strokes and editors (console)', () => {
  it('chunks long strokes so each chunk starts where the last ended', () => {
    const pts = Array.from({ length: 10 }, (_, i) => [i, i] as const);
    const chunks = chunkStroke(pts, 4);
    expect(chunks.map((c) => c.length)).toEqual([4, 4, 4]);
    expect(chunks[1]![0]).toEqual(chunks[0]![3]);
    expect(chunks.flat().length).toBeLessThanOrEqual(12);
    expect(chunkStroke(pts.slice(0, 3), 4)).toEqual([pts.slice(0, 3)]);
  });
  it('knows which mirror elements take text', () => {
    page('<input data-id="1"><input type="checkbox" data-id="2"><textarea data-id="3"></textarea><select data-id="4"></select><div contenteditable="true" data-id="5"></div><p data-id="6"></p>');
    const kinds = [1, 2, 3, 4, 5, 6].map((i) => editorKind(document.querySelector(`[data-id="${i}"]`)!));
    expect(kinds).toEqual(['input', null, 'textarea', 'select', 'textarea', null]);
  });
});

describe('applying acts', () => {
  it('clicks with a full mouse sequence and focuses fields', () => {
    const ids = page('<button data-id="1">Save</button><input data-id="2" id="n"><label for="n">Full name</label>');
    const seen: string[] = [];
    for (const t of ['pointerdown', 'mousedown', 'pointerup', 'mouseup', 'click']) {
      ids.get(1)!.addEventListener(t, () => seen.push(t));
    }
    const out = applyAct(win, act('a', 'click', { id: 1, x: 0.5, y: 0.5 }), (id) => ids.get(id) ?? null, opts);
    expect(out).toMatchObject({ ok: true, reason: null, label: 'Save' });
    expect(seen).toEqual(['pointerdown', 'mousedown', 'pointerup', 'mouseup', 'click']);
    applyAct(win, act('b', 'click', { id: 2, x: 0.5, y: 0.5 }), (id) => ids.get(id) ?? null, opts);
    expect(document.activeElement).toBe(ids.get(2));
  });

  it('types with the native setter and fires input and change', () => {
    const ids = page('<label for="n">Full name</label><input data-id="2" id="n"><select data-id="3"><option value="a">Old</option><option value="b">New regime</option></select><div contenteditable="true" data-id="4"></div>');
    const input = ids.get(2) as HTMLInputElement;
    // A framework-style instance override: the native setter must still be the one used.
    let tracked = '';
    Object.defineProperty(input, 'value', {
      configurable: true,
      get: () => tracked,
      set: (v: string) => {
        tracked = `wrapped:${v}`;
      },
    });
    const events: string[] = [];
    input.addEventListener('input', () => events.push('input'));
    input.addEventListener('change', () => events.push('change'));
    const out = applyAct(win, act('a', 'input', { id: 2, x: 0.5, y: 0.5 }, 'Meera Iyer'), (id) => ids.get(id) ?? null, opts);
    expect(out).toMatchObject({ ok: true, label: 'Full name' });
    expect(events).toEqual(['input', 'change']);
    expect(tracked).toBe(''); // the instance setter was bypassed
    delete (input as unknown as Record<string, unknown>).value;
    expect(input.value).toBe('Meera Iyer');
    applyAct(win, act('b', 'input', { id: 3, x: 0.5, y: 0.5 }, 'new regime'), (id) => ids.get(id) ?? null, opts);
    expect((ids.get(3) as HTMLSelectElement).value).toBe('b');
    applyAct(win, act('c', 'input', { id: 4, x: 0.5, y: 0.5 }, 'notes'), (id) => ids.get(id) ?? null, opts);
    expect(ids.get(4)!.textContent).toBe('notes');
  });

  it('refuses masked and refused elements, and missing ones', () => {
    const ids = page('<div data-cobrowse-mask><input data-id="1"></div><input type="password" data-id="2"><button data-cobrowse-no-agent data-id="3">Pay</button><button data-id="4"><span data-id="5">Pay now</span></button>');
    const resolve = (id: number) => ids.get(id) ?? null;
    let clicked = 0;
    ids.get(3)!.addEventListener('click', () => (clicked += 1));
    expect(applyAct(win, act('a', 'input', { id: 1, x: 0, y: 0 }, 'x'), resolve, opts)).toMatchObject({ ok: false, reason: 'masked' });
    expect(applyAct(win, act('a', 'click', { id: 2, x: 0, y: 0 }), resolve, opts)).toMatchObject({ ok: false, reason: 'masked', label: 'a private field' });
    expect(applyAct(win, act('a', 'click', { id: 3, x: 0, y: 0 }), resolve, opts)).toMatchObject({ ok: false, reason: 'refused', label: 'Pay' });
    expect(clicked).toBe(0);
    expect(applyAct(win, act('a', 'click', { id: 99, x: 0, y: 0 }), resolve, opts)).toMatchObject({ ok: false, reason: 'not_found' });
    expect(applyAct(win, act('a', 'click', null), resolve, opts)).toMatchObject({ ok: false, reason: 'not_found' });
    expect(applyAct(win, act('a', 'input', { id: 4, x: 0, y: 0 }, 'x'), resolve, opts)).toMatchObject({ ok: false, reason: 'not_editable' });
    // a site's extra refuse selector, and a bad one that is ignored
    const extra = { ...opts, refuse: ['[data-cobrowse-no-agent]', 'button:has(', '#nope, [data-id="4"]'] };
    expect(applyAct(win, act('a', 'click', { id: 5, x: 0, y: 0 }), resolve, extra)).toMatchObject({ ok: false, reason: 'refused' });
    expect(refusal(ids.get(5) as Element, opts)).toBeNull();
  });

  it('presses Enter to submit the form of a field, Tab to move on', () => {
    const ids = page('<form><input data-id="1"><input data-id="2"><button>Go</button></form>');
    const form = document.querySelector('form')!;
    const submitted = vi.fn((e: Event) => e.preventDefault());
    form.addEventListener('submit', submitted);
    const resolve = (id: number) => ids.get(id) ?? null;
    (ids.get(1) as HTMLInputElement).focus();
    const keys: string[] = [];
    ids.get(1)!.addEventListener('keydown', (e) => keys.push((e as KeyboardEvent).key));
    expect(applyAct(win, act('a', 'key', null, 'Enter'), resolve, opts).ok).toBe(true);
    expect(keys).toEqual(['Enter']);
    expect(submitted).toHaveBeenCalledOnce();
    applyAct(win, act('b', 'key', { id: 1, x: 0, y: 0 }, 'Tab'), resolve, opts);
    expect(document.activeElement).toBe(ids.get(2));
  });

  it('refuses Enter when the form would be sent with a refused button', () => {
    const ids = page('<form><input data-id="1"><button data-cobrowse-no-agent>Pay</button></form>');
    const submitted = vi.fn((e: Event) => e.preventDefault());
    document.querySelector('form')!.addEventListener('submit', submitted);
    const out = applyAct(win, act('a', 'key', { id: 1, x: 0, y: 0 }, 'Enter'), (id) => ids.get(id) ?? null, opts);
    expect(out).toMatchObject({ ok: false, reason: 'refused' });
    expect(submitted).not.toHaveBeenCalled();
  });

  it('scrolls the page and refuses non-http navigation', () => {
    page('<p data-id="1">x</p>');
    const scrollBy = vi.spyOn(window, 'scrollBy').mockImplementation(() => undefined);
    expect(applyAct(win, act('a', 'scroll', null, '', 0, 400), () => null, opts).ok).toBe(true);
    expect(scrollBy).toHaveBeenCalledWith({ left: 0, top: 400, behavior: 'instant' });
    expect(applyAct(win, act('b', 'navigate', null, 'javascript:alert(1)'), () => null, opts)).toMatchObject({ ok: false, reason: 'bad_url' });
  });

  it('tells the agent why an action was not done', () => {
    expect(refusedText('visitor away')).toContain('loading or offline');
    expect(refusedText('no control')).toContain('you do not have control');
    expect(refusedText('masked')).toBe('Refused on the visitor’s side: this field is private (masked), so the agent cannot use it.');
  });

  it('opens only pages of the allowed sites', () => {
    page('<p>x</p>');
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => undefined);
    const other = act('a', 'navigate', null, 'https://elsewhere.example/login');
    expect(applyAct(win, other, () => null, opts)).toMatchObject({ ok: false, reason: 'other_site' });
    // Proxy mode: an origin the proxy maps is allowed, and opened through the proxy.
    const mapUrl = (u: string): string => u.replace('https://elsewhere.example/', 'https://x1.cobrowse.example/');
    expect(applyAct(win, other, () => null, { ...opts, mapUrl }).ok).toBe(true);
    expect(assign).toHaveBeenCalledWith('https://x1.cobrowse.example/login');
    expect(applyAct(win, act('b', 'navigate', null, 'https://third.example/'), () => null, { ...opts, mapUrl })).toMatchObject({
      ok: false,
      reason: 'other_site',
    });
    expect(reasonText('other_site')).toBe('only pages of this site can be opened');
  });

  it('names elements and describes actions for the visitor', () => {
    page('<button aria-label="Close dialog">×</button><input type="submit" value="Save"><a href="/x"></a>');
    const [b, s, a] = [...document.body.children];
    expect(labelOf(b!)).toBe('Close dialog');
    expect(labelOf(s!)).toBe('Save');
    expect(labelOf(a!)).toBe('a link');
    expect(isEditable(s!)).toBe(false);
    const click = act('a', 'click', { id: 1, x: 0, y: 0 });
    expect(describeAct('Asha Rao', click, { ok: true, reason: null, label: 'Save' })).toBe('Asha Rao clicked “Save”');
    expect(describeAct('Asha Rao', act('b', 'navigate', null, 'back'), { ok: true, reason: null, label: '' })).toBe('Asha Rao went back');
    expect(describeAct('Asha Rao', click, { ok: false, reason: 'refused', label: 'Pay' })).toContain('could not use “Pay”');
    expect(reasonText('masked')).toContain('private');
  });

  it('names a control inside a shadow root by its host (slotted text lives in the light DOM)', () => {
    page('<my-switch>Alerts</my-switch>');
    const host = document.body.firstElementChild!;
    const root = host.attachShadow({ mode: 'open' });
    root.innerHTML = '<button role="switch"><slot></slot></button>';
    expect(labelOf(root.querySelector('button')!)).toBe('Alerts');
  });
});

describe('guide layer', () => {
  function setup() {
    const ids = page('<h1 data-id="5">Title</h1><p data-id="6">Text</p>');
    const el = ids.get(5) as HTMLElement;
    el.getBoundingClientRect = () => ({ left: 100, top: 200, width: 400, height: 50, right: 500, bottom: 250, x: 100, y: 200, toJSON: () => ({}) }) as DOMRect;
    const host = document.createElement('div');
    document.body.append(host);
    const shadow = host.attachShadow({ mode: 'open' });
    const layer = new GuideLayer(window, shadow, (id) => (ids.get(id) as Element) ?? null);
    return { layer, shadow, el };
  }

  it('shows the pointer with the agent’s name, relative to the element', () => {
    const { layer, shadow } = setup();
    layer.apply('pointer', { id: 5, x: 0.25, y: 0.5 }, [], 'Asha Rao');
    const pointer = shadow.querySelector('[role="img"]') as HTMLElement;
    expect(pointer.getAttribute('aria-label')).toBe("Asha Rao's pointer");
    expect(pointer.textContent).toBe('Asha Rao');
    expect(pointer.classList.contains('cbg-hidden')).toBe(false);
    expect(pointer.style.transform).toBe('translate(197px, 223px)');
    layer.apply('pointer', null, [], 'Asha Rao');
    expect(pointer.classList.contains('cbg-hidden')).toBe(true);
    layer.destroy();
    expect(shadow.querySelector('.cbg-layer')).toBeNull();
  });

  it('outlines, draws until Clear, and fades the laser', () => {
    vi.useFakeTimers();
    const { layer, shadow } = setup();
    layer.apply('highlight', { id: 5, x: 0.5, y: 0.5 }, [], 'Asha');
    const box = shadow.querySelector('.cbg-box') as HTMLElement;
    expect(box.classList.contains('cbg-hidden')).toBe(false);
    expect(box.style.width).toBe('408px');
    layer.apply('draw', { id: 5, x: 0, y: 0 }, [[0, 0], [1, 1]], 'Asha');
    layer.apply('laser', { id: 5, x: 0, y: 0 }, [[0, 0], [0.5, 0.5]], 'Asha');
    const lines = shadow.querySelectorAll('polyline');
    expect(lines).toHaveLength(2);
    expect(lines[0]!.getAttribute('points')).toBe('100.0,200.0 500.0,250.0');
    vi.advanceTimersByTime(3100);
    expect(shadow.querySelectorAll('polyline')).toHaveLength(1); // the laser faded away
    layer.apply('clear', null, [], 'Asha');
    expect(shadow.querySelectorAll('polyline')).toHaveLength(0);
    expect(box.classList.contains('cbg-hidden')).toBe(true);
    layer.destroy();
  });
});
