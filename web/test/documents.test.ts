// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyAct, fileInputOf, reasonText } from '../src/guidance/act';
import { act } from '../src/protocol';
import { WidgetUi } from '../src/widget/ui';
import { FileOffers, type UploadResult } from '../src/console/files';
import { translator } from '../src/i18n';

type Win = Window & typeof globalThis;
const win = window as unknown as Win;
const opts = { mask: ['input[type=password]'], refuse: ['[data-cobrowse-no-agent]'] };

afterEach(() => {
  document.body.innerHTML = '';
});

const offer = {
  v: 1 as const,
  t: 'offer' as const,
  file_id: 'f_1',
  name: 'Form-16-guide.pdf',
  size: 48213,
  type: 'application/pdf',
  agent: { name: 'Asha Rao' },
};

describe('file inputs', () => {
  it('refuses a click on a file input (or its label): only the visitor can choose a file', () => {
    document.body.innerHTML =
      '<label for="f">Upload Form 16</label><input type="file" id="f"><label id="w">Proof <input type="file" name="proof"></label>';
    const input = document.getElementById('f') as HTMLInputElement;
    const label = document.querySelector('label') as HTMLLabelElement;
    const wrapped = document.getElementById('w') as HTMLLabelElement;
    let clicked = 0;
    input.addEventListener('click', () => (clicked += 1));
    const nodes = new Map<number, Node>([[1, input], [2, label], [3, wrapped]]);
    const resolve = (id: number): Node | null => nodes.get(id) ?? null;
    const out = applyAct(win, act('a', 'click', { id: 1, x: 0.5, y: 0.5 }), resolve, opts);
    expect(out).toMatchObject({ ok: false, reason: 'file_input', label: 'Upload Form 16', element: input });
    expect(clicked).toBe(0);
    expect(applyAct(win, act('b', 'click', { id: 2, x: 0.5, y: 0.5 }), resolve, opts)).toMatchObject({
      ok: false,
      reason: 'file_input',
      element: input,
    });
    expect(fileInputOf(wrapped)).toBe(wrapped.querySelector('input'));
    expect(reasonText('file_input')).toBe('only you can choose a file');
    // a masked file input stays masked
    document.body.innerHTML = '<input type="file" data-cobrowse-mask id="m">';
    const masked = document.getElementById('m')!;
    expect(applyAct(win, act('c', 'click', { id: 1, x: 0, y: 0 }), () => masked, { ...opts, mask: ['[data-cobrowse-mask]'] }).reason).toBe('masked');
  });
});

function widget(lang: 'en' | 'hi' = 'en') {
  const handlers = {
    press: vi.fn(), cancel: vi.fn(), newPin: vi.fn(), allow: vi.fn(), deny: vi.fn(), stop: vi.fn(), dismiss: vi.fn(),
    offerAnswer: vi.fn(),
  };
  const ui = new WidgetUi(document, handlers, translator(lang));
  ui.mount();
  return { ui, shadow: ui.host.shadowRoot as ShadowRoot, handlers };
}

describe('the visitor’s offer dialog', () => {
  it('names the agent, the file and its size, with Download and Decline', () => {
    const { ui, shadow, handlers } = widget();
    ui.render({ kind: 'active', agent: { name: 'Asha Rao' } }, 0);
    ui.showOffer(offer);
    const dialog = shadow.querySelector('.cb-offer[role="dialog"]') as HTMLElement;
    expect(dialog.textContent).toContain('Asha Rao offers you a file: Form-16-guide.pdf (47 KB)');
    const labels = [...dialog.querySelectorAll('button')].map((b) => b.textContent);
    expect(labels).toEqual(['Decline', 'Download']);
    expect(shadow.activeElement).toBe(dialog);
    (dialog.querySelectorAll('button')[1] as HTMLButtonElement).click();
    expect(handlers.offerAnswer).toHaveBeenCalledWith('f_1', true);
    ui.showOffer(null);
    expect(shadow.querySelector('.cb-offer')).toBeNull();
  });
  it('closes when the session is over', () => {
    const { ui, shadow } = widget();
    ui.render({ kind: 'active', agent: { name: 'Asha Rao' } }, 0);
    ui.showOffer(offer);
    ui.render({ kind: 'ended', message: 'Co-browsing ended' }, 0);
    expect(shadow.querySelector('.cb-offer')).toBeNull();
  });
  it('downloads through a link inside the widget', () => {
    const { ui, shadow } = widget();
    const seen: string[] = [];
    const listener = (e: Event): void => {
      seen.push((e.target as HTMLAnchorElement).href);
      e.preventDefault();
    };
    shadow.addEventListener('click', listener, true);
    ui.download('http://127.0.0.1:8000/files/T');
    expect(seen).toEqual(['http://127.0.0.1:8000/files/T']);
    expect(shadow.querySelector('a')).toBeNull();
    // Never a script or data address, whatever a frame says.
    for (const bad of ['javascript:alert(1)', ' JavaScript:alert(1)', 'data:text/html,<script>1</script>', 'vbscript:x']) {
      ui.download(bad);
    }
    expect(seen).toEqual(['http://127.0.0.1:8000/files/T']);
  });
});

describe('the widget in Hindi', () => {
  it('translates buttons, dialogs, the bar and the chat', () => {
    const { ui, shadow } = widget('hi');
    ui.render({ kind: 'idle' }, 0);
    expect(shadow.querySelector('button')!.textContent).toBe('स्क्रीन साझा करें');
    expect(shadow.querySelector('.cb-root')!.getAttribute('lang')).toBe('hi');
    ui.render({ kind: 'consent', agent: { name: 'Asha Rao' }, answered: false }, 0);
    expect([...shadow.querySelectorAll('button')].map((b) => b.textContent)).toEqual(['अस्वीकार करें', 'अनुमति दें']);
    ui.render({ kind: 'active', agent: { name: 'Asha Rao' } }, 0);
    const bar = shadow.querySelector('[role="region"]')!;
    expect(bar.getAttribute('aria-label')).toBe('स्क्रीन साझा करना');
    expect(bar.textContent).toContain('Asha Rao यह टैब देख रहे हैं');
    expect([...bar.querySelectorAll('button')].map((b) => b.textContent)).toContain('रोकें');
    expect([...bar.querySelectorAll('button')].map((b) => b.getAttribute('aria-label') ?? b.textContent)).toEqual(
      expect.arrayContaining(['बार की जगह बदलें', 'छोटा करें', 'चैट']),
    );
    expect(ui.chat.button.textContent).toBe('भेजें');
    ui.setExtras({ unread: 0, control: 'requested', chatOpen: false });
    const dialog = shadow.querySelector('.cb-control')!;
    expect([...dialog.querySelectorAll('button')].map((b) => b.textContent)).toEqual(['अस्वीकार करें', 'नियंत्रण की अनुमति दें']);
    ui.showOffer(offer);
    expect(shadow.querySelector('.cb-offer')!.textContent).toContain('Asha Rao आपको एक फ़ाइल भेज रहे हैं: Form-16-guide.pdf (47 KB)');
  });
});

describe('the console’s Offer a file', () => {
  it('uploads the chosen file, lists it, and follows the visitor’s answer', async () => {
    const upload = vi.fn(async (): Promise<UploadResult> => ({
      ok: true,
      file: { file_id: 'f_1', name: 'guide.pdf', size: 2048, type: 'application/pdf' },
    }));
    const files = new FileOffers(document, upload);
    document.body.append(files.root);
    expect(files.input.labels?.[0]?.textContent).toBe('File to offer');
    expect(files.button.textContent).toBe('Offer a file');
    await files.send();
    expect(files.error.textContent).toBe('Choose a file to offer first.');
    const file = new File(['%PDF'], 'guide.pdf', { type: 'application/pdf' });
    Object.defineProperty(files.input, 'files', { value: [file], configurable: true });
    files.setSession('s_1');
    await files.send();
    expect(upload).toHaveBeenCalledWith('s_1', file, 'guide.pdf');
    expect(files.list.textContent).toBe('guide.pdf (2 KB): offered');
    files.answer('f_1', true);
    expect(files.stateOf('f_1')).toBe('accepted');
    expect(files.list.textContent).toBe('guide.pdf (2 KB): accepted');
    files.reset();
    expect(files.list.hidden).toBe(true);
  });
  it('shows the server’s refusal in an alert', async () => {
    const files = new FileOffers(document, async () => ({ ok: false, message: 'That file is too large (the limit is 10 MB).' }));
    document.body.append(files.root);
    Object.defineProperty(files.input, 'files', { value: [new File(['x'], 'big.bin')], configurable: true });
    files.setSession('s_1');
    await files.send();
    expect(files.error.getAttribute('role')).toBe('alert');
    expect(files.error.textContent).toBe('That file is too large (the limit is 10 MB).');
    expect(files.list.hidden).toBe(true);
  });
});

describe('the mirror shows only the chosen file’s name', () => {
  it('takes the name from the browser’s fake path', async () => {
    const { fileNameOf, FILE_ATTRIBUTE } = await import('../src/console/mirror');
    const { editorKind } = await import('../src/console/tools');
    expect(fileNameOf('C:\\fakepath\\Form16.pdf')).toBe('Form16.pdf');
    expect(fileNameOf('Form16.pdf')).toBe('Form16.pdf');
    expect(fileNameOf('')).toBe('');
    const shown = document.createElement('input');
    shown.setAttribute('type', 'text');
    shown.setAttribute(FILE_ATTRIBUTE, 'Form16.pdf');
    expect(editorKind(shown)).toBeNull(); // the agent cannot type into it
  });
});
