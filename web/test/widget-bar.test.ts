// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WidgetUi } from '../src/widget/ui';
import { CHAT_TOAST_CHARS, CHAT_TOAST_MS } from '../src/widget/chat-toast';
import { LAYOUT_KEY } from '../src/widget/layout';
import { translator } from '../src/i18n';

function active(lang: 'en' | 'hi' = 'en') {
  const handlers = {
    press: vi.fn(), cancel: vi.fn(), newPin: vi.fn(), allow: vi.fn(), deny: vi.fn(), stop: vi.fn(), dismiss: vi.fn(),
    chatSend: vi.fn(), allowControl: vi.fn(), denyControl: vi.fn(), takeBack: vi.fn(),
  };
  const ui = new WidgetUi(document, handlers, translator(lang));
  ui.mount();
  ui.render({ kind: 'active', agent: { name: 'Asha Rao' } }, 0);
  const shadow = ui.host.shadowRoot as ShadowRoot;
  const named = (t: string) =>
    [...shadow.querySelectorAll('button')].find((b) => (b.getAttribute('aria-label') ?? b.textContent ?? '').startsWith(t));
  const shown = (t: string) => {
    const b = named(t);
    return !!b && !b.closest('[hidden]');
  };
  return { ui, shadow, handlers, named, shown };
}

beforeEach(() => {
  sessionStorage.clear();
  document.body.replaceChildren();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the session bar: moving and minimising', () => {
  it('cycles its place with "Move bar", says where, and remembers it for the tab', () => {
    const { ui, shadow, named } = active();
    const grip = named('Move bar')!;
    expect(grip.textContent).toBe(''); // an icon, named by aria-label
    grip.click();
    expect(JSON.parse(sessionStorage.getItem(LAYOUT_KEY)!)).toEqual({ place: 'bottom-left', minimised: false });
    expect(shadow.getElementById('cb-announce')!.textContent).toBe('Bar moved to the bottom left');
    grip.click();
    expect(JSON.parse(sessionStorage.getItem(LAYOUT_KEY)!).place).toBe('top-left');
    ui.unmount();
    // the next page of the tab: the same place
    const again = active();
    again.named('Move bar')!.click();
    expect(JSON.parse(sessionStorage.getItem(LAYOUT_KEY)!).place).toBe('top');
  });

  it('minimises to a chip that still says sharing is on, with Stop one click away', () => {
    const { ui, shadow, handlers, named, shown } = active();
    named('Minimise')!.click();
    const bar = shadow.querySelector('[role="region"]') as HTMLElement;
    expect(bar.hasAttribute('data-minimised')).toBe(true);
    expect(bar.querySelector('.cb-chip-text')!.textContent).toBe('Sharing this tab');
    expect(shown('Stop')).toBe(true);
    expect(shown('Chat')).toBe(false);
    expect(shown('Expand')).toBe(true);
    expect(shadow.activeElement).toBe(named('Expand'));
    expect(JSON.parse(sessionStorage.getItem(LAYOUT_KEY)!).minimised).toBe(true);
    // control granted: Take back control shows in the chip too
    ui.setExtras({ unread: 0, control: 'control', chatOpen: false });
    expect(shown('Take back control')).toBe(true);
    named('Stop')!.click();
    expect(handlers.stop).toHaveBeenCalledOnce();
    // a rebuilt bar (the next page) is still minimised; Expand brings it back
    ui.unmount();
    const again = active();
    expect(again.shown('Expand')).toBe(true);
    again.named('Expand')!.click();
    expect(again.shown('Chat')).toBe(true);
    expect(again.shown('Minimise')).toBe(true);
  });
});

describe('the agent\'s action toasts', () => {
  it('go to the other side from the bar', () => {
    Object.defineProperty(window, 'innerHeight', { value: 800, configurable: true });
    const { ui, shadow, named } = active();
    const root = shadow.querySelector('.cb-root') as HTMLElement;
    const bar = shadow.querySelector('.cb-bar') as HTMLElement;
    const at = (top: number) => {
      bar.getBoundingClientRect = () => ({ left: 0, top, width: 300, height: 50, right: 300, bottom: top + 50, x: 0, y: top, toJSON: () => null }) as DOMRect;
    };
    at(734);
    named('Move bar')!.click();
    expect(root.hasAttribute('data-bar-top')).toBe(false);
    at(16);
    named('Move bar')!.click();
    expect(root.hasAttribute('data-bar-top')).toBe(true);
    ui.toast('Asha Rao clicked “Save”');
    expect(shadow.querySelector('style')!.textContent).toContain('.cb-root[data-bar-top] .cb-act-toast { top: auto; bottom: 20px; }');
  });
});

describe('the session bar: participants', () => {
  it('shows who else is watching, hides the line when nobody is, and keeps it across rebuilds', () => {
    const { ui, shadow } = active();
    const line = () => shadow.querySelector('.cb-participants') as HTMLElement;
    expect(line().hidden).toBe(true);
    ui.showParticipants(['Ravi Kumar (supervisor)']);
    expect(line().hidden).toBe(false);
    expect(line().textContent).toBe('Also watching: Ravi Kumar (supervisor)');
    ui.showParticipants(['Ravi Kumar', ' ', 'Meena Das']);
    expect(line().textContent).toBe('Also watching: Ravi Kumar, Meena Das');
    ui.render({ kind: 'active', agent: { name: 'Meena Das' } }, 0); // a transfer: a new bar
    expect(line().textContent).toBe('Also watching: Ravi Kumar, Meena Das');
    ui.showParticipants([]);
    expect(line().hidden).toBe(true);
    expect(line().textContent).toBe('');
  });

  it('speaks Hindi', () => {
    const { ui, shadow } = active('hi');
    ui.showParticipants(['रवि कुमार']);
    expect(shadow.querySelector('.cb-participants')!.textContent).toBe('साथ में देख रहे हैं: रवि कुमार');
  });
});

describe('a chat message while the chat is closed', () => {
  const LONG = 'Please open the File ITR page, then check the bank account number twice. '.repeat(4);

  it('shows the name and the text by the bar, says all of it, and takes no focus', () => {
    vi.useFakeTimers();
    const { ui, shadow, named } = active();
    const stop = named('Stop')!;
    stop.focus();
    ui.chatMessage('Asha Rao', LONG);
    const toast = shadow.querySelector('.cb-chat-toast') as HTMLElement;
    expect(toast.hidden).toBe(false);
    expect(toast.querySelector('.cb-chat-toast-name')!.textContent).toBe('Asha Rao');
    const shownText = toast.querySelector('.cb-chat-toast-text')!.textContent!;
    expect(shownText.length).toBeLessThanOrEqual(CHAT_TOAST_CHARS);
    expect(shownText.endsWith('…')).toBe(true);
    const live = shadow.getElementById('cb-announce')!;
    expect(live.getAttribute('aria-live')).toBe('polite');
    expect(live.textContent).toBe(`Message from Asha Rao: ${LONG.trim()}`);
    expect(shadow.activeElement).toBe(stop);
    vi.advanceTimersByTime(CHAT_TOAST_MS + 10);
    expect(toast.hidden).toBe(true);
  });

  it('stays while hovered or focused, and Reply opens the chat with the whole message', () => {
    vi.useFakeTimers();
    const { ui, shadow, named } = active();
    ui.chatEntries([{ seq: 1, id: 'a-1', from: 'agent', name: 'Asha Rao', text: LONG, at: 0 }]);
    ui.chatMessage('Asha Rao', LONG);
    const toast = shadow.querySelector('.cb-chat-toast') as HTMLElement;
    toast.dispatchEvent(new Event('mouseenter'));
    vi.advanceTimersByTime(CHAT_TOAST_MS * 3);
    expect(toast.hidden).toBe(false);
    toast.dispatchEvent(new Event('mouseleave'));
    named('Reply')!.click();
    expect(toast.hidden).toBe(true);
    const log = shadow.querySelector('[role="log"]')!;
    expect(log.textContent).toContain(LONG);
    expect(named('Chat')!.getAttribute('aria-expanded')).toBe('true');
    // with the chat open, no toast: the message is in the log
    ui.chatMessage('Asha Rao', 'Second');
    expect(toast.hidden).toBe(true);
  });
});

describe('panels: one at a time', () => {
  it('puts the chat away while a control request is up, and brings it back after', () => {
    const { ui, shadow, named } = active();
    named('Chat')!.click();
    const chatBox = shadow.getElementById('cb-chat-box')!;
    expect(chatBox.hidden).toBe(false);
    ui.setExtras({ unread: 0, control: 'requested', chatOpen: true });
    expect(chatBox.hidden).toBe(true);
    expect(shadow.querySelector('.cb-control')).not.toBeNull();
    ui.setExtras({ unread: 0, control: 'control', chatOpen: true });
    expect(shadow.querySelector('.cb-control')).toBeNull();
    expect(chatBox.hidden).toBe(false);
  });

  it('collapses the chat with Hide', () => {
    const { shadow, named } = active();
    named('Chat')!.click();
    expect(shadow.querySelector('[role="log"]')).not.toBeNull();
    named('Hide')!.click();
    expect(shadow.querySelector('[role="log"]')).toBeNull();
    expect(shadow.activeElement).toBe(named('Chat'));
  });
});
