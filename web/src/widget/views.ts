/**
 * The widget's views as DOM, built from state and text: the launch button, the PIN,
 * expiry and consent dialogs, and the control request and file offer dialogs. Pure
 * builders (no state kept here); ui.ts puts them in its shadow root.
 */
import type { Translator } from '../i18n';
import type { OfferMessage } from '../protocol';
import { type WidgetState, formatRemaining } from './state';

const ICON =
  '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" ' +
  'stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><rect x="2" y="4" width="20" ' +
  'height="13" rx="2"/><path d="M8 21h8M12 17v4"/><circle cx="12" cy="10.5" r="2.5"/></svg>';

export type Child = Node | string;

export function el<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  attrs: Record<string, string> = {},
  children: Child[] = [],
): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

export function button(doc: Document, label: string, cls: string, onClick: () => void, focus = false): HTMLButtonElement {
  const b = el(doc, 'button', { type: 'button', class: cls }, [label]);
  if (focus) b.setAttribute('data-autofocus', '');
  b.addEventListener('click', (event) => {
    event.preventDefault();
    onClick();
  });
  return b;
}

function dialog(doc: Document, label: string, body: Child[]): HTMLElement {
  const title = el(doc, 'h2', { class: 'cb-title', id: 'cb-title' }, [label]);
  return el(
    doc,
    'div',
    { class: 'cb-dialog', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'cb-title', tabindex: '-1', 'data-autofocus': '' },
    [title, ...body],
  );
}

export interface StateHandlers {
  press(): void;
  cancel(): void;
  newPin(): void;
  allow(): void;
  deny(): void;
}

/**
 * The view of every state but `active` (the session bar, bar.ts): null for none.
 * `countdown` receives the PIN's "Valid for" line, which ticks without a rebuild.
 */
export function stateView(
  d: Document,
  tr: Translator,
  state: Exclude<WidgetState, { kind: 'active' }>,
  now: number,
  h: StateHandlers,
  agentLabel: (name: string) => string,
  countdown: (line: HTMLElement) => void,
): HTMLElement | null {
  switch (state.kind) {
    case 'resuming':
      return null;
    case 'idle':
    case 'ended': {
      const b = button(d, tr.s.launch, 'cb-launch', h.press);
      b.insertAdjacentHTML('afterbegin', ICON);
      b.setAttribute('data-autofocus', '');
      return b;
    }
    case 'creating':
      return dialog(d, tr.s.pinTitle, [
        el(d, 'p', { class: 'cb-text' }, [tr.s.gettingPin]),
        el(d, 'div', { class: 'cb-actions' }, [button(d, tr.s.cancel, 'cb-secondary', h.cancel)]),
      ]);
    case 'pin': {
      const line = el(d, 'p', { class: 'cb-valid' }, [tr.t('validFor', { time: formatRemaining(state.expiresAt, now) })]);
      countdown(line);
      return dialog(d, tr.s.pinTitle, [
        el(d, 'p', { class: 'cb-text' }, [tr.s.readPin]),
        el(d, 'p', { class: 'cb-pin' }, [state.pinDisplay]),
        line,
        el(d, 'div', { class: 'cb-actions' }, [button(d, tr.s.cancel, 'cb-secondary', h.cancel)]),
      ]);
    }
    case 'expired':
      return dialog(d, tr.s.pinTitle, [
        el(d, 'p', { class: 'cb-text' }, [tr.s.pinExpired]),
        el(d, 'div', { class: 'cb-actions' }, [
          button(d, tr.s.close, 'cb-secondary', h.cancel),
          button(d, tr.s.newPin, 'cb-primary', h.newPin),
        ]),
      ]);
    case 'consent': {
      const allow = button(d, tr.s.allow, 'cb-primary', h.allow);
      const deny = button(d, tr.s.deny, 'cb-secondary', h.deny);
      allow.disabled = state.answered;
      deny.disabled = state.answered;
      return dialog(d, tr.s.consentTitle, [
        el(d, 'p', { class: 'cb-text' }, [tr.t('consentText', { name: agentLabel(state.agent.name) })]),
        ...(state.answered ? [el(d, 'p', { class: 'cb-text' }, [tr.s.connecting])] : []),
        el(d, 'div', { class: 'cb-actions' }, [deny, allow]),
      ]);
    }
  }
}

/** "Asha Rao asks to control this tab…" with Deny and Allow control. */
export function controlDialog(d: Document, tr: Translator, agentName: string, allow: () => void, deny: () => void): HTMLElement {
  const title = el(d, 'h2', { class: 'cb-title', id: 'cb-control-title' }, [tr.s.controlTitle]);
  return el(
    d,
    'div',
    { class: 'cb-dialog cb-control', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'cb-control-title', tabindex: '-1' },
    [
      title,
      el(d, 'p', { class: 'cb-text' }, [tr.t('controlText', { name: agentName || tr.s.theAgent })]),
      el(d, 'div', { class: 'cb-actions' }, [
        button(d, tr.s.denyControl, 'cb-secondary', deny),
        button(d, tr.s.allowControl, 'cb-primary', allow, true),
      ]),
    ],
  );
}

/** "Asha Rao offers you a file: Form-16-guide.pdf (47 KB)" with Decline and Download. */
export function offerDialog(d: Document, tr: Translator, offer: OfferMessage, name: string, answer: (accept: boolean) => void): HTMLElement {
  return el(
    d,
    'div',
    {
      class: 'cb-dialog cb-offer',
      role: 'dialog',
      'aria-modal': 'false',
      'aria-labelledby': 'cb-offer-title',
      'aria-describedby': 'cb-offer-text',
      tabindex: '-1',
    },
    [
      el(d, 'h2', { class: 'cb-title', id: 'cb-offer-title' }, [tr.s.offerTitle]),
      el(d, 'p', { class: 'cb-text', id: 'cb-offer-text' }, [tr.t('offerText', { name, file: offer.name, size: tr.size(offer.size) })]),
      el(d, 'div', { class: 'cb-actions' }, [
        button(d, tr.s.decline, 'cb-secondary', () => answer(false)),
        button(d, tr.s.download, 'cb-primary', () => answer(true)),
      ]),
    ],
  );
}

export function viewKey(state: WidgetState): string {
  switch (state.kind) {
    case 'pin':
      return `pin:${state.pinDisplay}`;
    case 'consent':
      return `consent:${state.agent.name}:${state.answered}`;
    case 'active':
      return `active:${state.agent.name}`;
    case 'ended':
      return `ended:${state.message}`;
    default:
      return state.kind;
  }
}

