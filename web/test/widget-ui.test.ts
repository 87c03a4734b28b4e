// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { WidgetUi } from '../src/widget/ui';

function setup(): { ui: WidgetUi; shadow: ShadowRoot; handlers: Record<string, ReturnType<typeof vi.fn>> } {
  const handlers = {
    press: vi.fn(),
    cancel: vi.fn(),
    newPin: vi.fn(),
    allow: vi.fn(),
    deny: vi.fn(),
    stop: vi.fn(),
    dismiss: vi.fn(),
  };
  const ui = new WidgetUi(document, handlers);
  ui.mount();
  return { ui, shadow: ui.host.shadowRoot as ShadowRoot, handlers };
}

function buttons(shadow: ShadowRoot): string[] {
  return [...shadow.querySelectorAll('button')].map((b) => b.textContent ?? '');
}

describe('widget ui', () => {
  it('lives in an open shadow root on one marked host', () => {
    const { ui, shadow } = setup();
    expect(ui.host.isConnected).toBe(true);
    expect(ui.host.hasAttribute('data-cobrowse-ui')).toBe(true);
    expect(shadow.mode).toBe('open');
    expect(shadow.querySelector('style')?.textContent).toContain('.cb-launch');
  });

  it('shows the Co-browse button when idle', () => {
    const { ui, shadow, handlers } = setup();
    ui.render({ kind: 'idle' }, 0);
    expect(buttons(shadow)).toEqual(['Co-browse']);
    shadow.querySelector('button')!.click();
    expect(handlers.press).toHaveBeenCalledOnce();
  });

  it('shows the PIN in a dialog with a live countdown and moves focus into it', () => {
    const { ui, shadow, handlers } = setup();
    ui.render({ kind: 'pin', pinDisplay: '123 456', expiresAt: 600 }, 0);
    const dialog = shadow.querySelector('[role="dialog"]') as HTMLElement;
    expect(dialog.getAttribute('aria-labelledby')).toBe('cb-title');
    expect(shadow.getElementById('cb-title')?.textContent).toBe('Co-browse PIN');
    expect(dialog.textContent).toContain('123 456');
    expect(dialog.textContent).toContain('Read this PIN to the helpdesk agent');
    expect(dialog.textContent).toContain('Valid for 10:00');
    expect(shadow.activeElement).toBe(dialog);
    ui.render({ kind: 'pin', pinDisplay: '123 456', expiresAt: 600 }, 19_000);
    expect(shadow.querySelector('[role="dialog"]')).toBe(dialog); // updated, not rebuilt
    expect(dialog.textContent).toContain('Valid for 9:41');
    dialog.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    expect(handlers.cancel).toHaveBeenCalledOnce();
    expect(buttons(shadow)).toEqual(['Cancel']);
  });

  it('asks for consent naming the agent', () => {
    const { ui, shadow, handlers } = setup();
    ui.render({ kind: 'consent', agent: { name: 'Asha Rao' }, answered: false }, 0);
    const dialog = shadow.querySelector('[role="dialog"]') as HTMLElement;
    expect(dialog.textContent).toContain(
      'Asha Rao from the helpdesk wants to see this browser tab. Fields with personal data stay hidden. ' +
        'A supervisor may also watch; the bar always names who is watching.',
    );
    expect(buttons(shadow)).toEqual(['Deny', 'Allow']);
    (shadow.querySelectorAll('button')[1] as HTMLButtonElement).click();
    expect(handlers.allow).toHaveBeenCalledOnce();
  });

  it('says a recorded session is recorded, in the consent dialog and the bar', () => {
    const plain = setup();
    plain.ui.render({ kind: 'consent', agent: { name: 'Asha Rao' }, answered: false }, 0);
    expect(plain.shadow.querySelector('[role="dialog"]')!.textContent).not.toContain('recorded');
    plain.ui.host.remove();
    const { ui, shadow } = setup();
    ui.recorded = true;
    ui.render({ kind: 'consent', agent: { name: 'Asha Rao' }, answered: false }, 1);
    expect(shadow.querySelector('[role="dialog"]')!.textContent).toContain('This session is recorded');
    ui.render({ kind: 'active', agent: { name: 'Asha Rao' } }, 2);
    expect(shadow.querySelector('[role="region"]')!.textContent).toContain('This session is recorded');
  });

  it('shows the bar with Stop while active, and the end message after', () => {
    const { ui, shadow, handlers } = setup();
    ui.render({ kind: 'active', agent: { name: 'Asha Rao' } }, 0);
    const bar = shadow.querySelector('[role="region"]') as HTMLElement;
    expect(bar.getAttribute('aria-label')).toBe('Co-browsing');
    expect(bar.textContent).toContain('Asha Rao is viewing this tab');
    const stop = [...bar.querySelectorAll('button')].find((b) => b.textContent === 'Stop') as HTMLButtonElement;
    stop.click();
    expect(handlers.stop).toHaveBeenCalledOnce();
    ui.render({ kind: 'ended', message: 'Co-browsing ended' }, 0);
    expect(shadow.querySelector('[role="status"]')?.textContent).toBe('Co-browsing ended');
    expect(buttons(shadow)).toEqual(['Co-browse']);
  });

  it('offers a new PIN after expiry', () => {
    const { ui, shadow, handlers } = setup();
    ui.render({ kind: 'expired' }, 0);
    expect(shadow.querySelector('[role="dialog"]')?.textContent).toContain('This PIN has expired');
    expect(buttons(shadow)).toEqual(['Close', 'New PIN']);
    (shadow.querySelectorAll('button')[1] as HTMLButtonElement).click();
    expect(handlers.newPin).toHaveBeenCalledOnce();
  });
});

describe('widget ui: chat and control', () => {
  function active() {
    const handlers = {
      press: vi.fn(), cancel: vi.fn(), newPin: vi.fn(), allow: vi.fn(), deny: vi.fn(), stop: vi.fn(), dismiss: vi.fn(),
      chatSend: vi.fn(), allowControl: vi.fn(), denyControl: vi.fn(), takeBack: vi.fn(),
    };
    const ui = new WidgetUi(document, handlers);
    ui.mount();
    ui.render({ kind: 'active', agent: { name: 'Asha Rao' } }, 0);
    const shadow = ui.host.shadowRoot as ShadowRoot;
    const byText = (t: string) => [...shadow.querySelectorAll('button')].find((b) => b.textContent?.startsWith(t));
    return { ui, shadow, handlers, byText };
  }

  it('shows a Chat button with the unread count and opens the panel', () => {
    const { ui, shadow, byText } = active();
    ui.setExtras({ unread: 2, control: 'view', chatOpen: false });
    const chat = byText('Chat')!;
    expect(chat.querySelector('.cb-badge')?.textContent).toBe('2');
    expect(shadow.getElementById('cb-unread')?.textContent).toBe('2 unread');
    expect(shadow.querySelector('[role="log"]')).toBeNull();
    chat.click();
    expect(shadow.querySelector('[role="log"]')).not.toBeNull();
    expect(chat.getAttribute('aria-expanded')).toBe('true');
    expect(byText('Send')).toBeDefined();
  });

  it('asks for control with Allow control / Deny and offers Take back control', () => {
    const { ui, shadow, handlers, byText } = active();
    expect(byText('Take back control')!.hidden).toBe(true);
    ui.setExtras({ unread: 0, control: 'requested', chatOpen: false });
    const dialog = shadow.querySelector('.cb-control[role="dialog"]') as HTMLElement;
    expect(dialog.textContent).toContain('Asha Rao asks to control this tab');
    byText('Allow control')!.click();
    expect(handlers.allowControl).toHaveBeenCalledOnce();
    byText('Deny')!.click();
    expect(handlers.denyControl).toHaveBeenCalledOnce();
    ui.setExtras({ unread: 0, control: 'control', chatOpen: false });
    expect(shadow.querySelector('.cb-control')).toBeNull();
    expect(byText('Take back control')!.hidden).toBe(false);
    expect(shadow.querySelector('.cb-bar')?.textContent).toContain('Asha Rao is controlling this tab');
    byText('Take back control')!.click();
    expect(handlers.takeBack).toHaveBeenCalledOnce();
  });

  it('shows a passing toast for agent actions', () => {
    vi.useFakeTimers();
    const { ui, shadow } = active();
    ui.toast('Asha Rao clicked “Save”');
    const toast = shadow.querySelector('.cb-act-toast') as HTMLElement;
    expect(toast.getAttribute('role')).toBe('status');
    expect(toast.textContent).toBe('Asha Rao clicked “Save”');
    vi.advanceTimersByTime(6000);
    expect(toast.textContent).toBe('');
    vi.useRealTimers();
  });
});
