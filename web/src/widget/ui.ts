/**
 * The widget's DOM: an open shadow root on one host element, its own styles, and a
 * view per state. Built before recording starts; afterwards only the inside of the
 * root container changes, and the container matches the recorder's block selector,
 * so rrweb never serializes the widget.
 */
import { HOST_STYLE, WIDGET_CSS } from './styles';
import { WIDGET_ATTRIBUTE } from './recorder';
import { type WidgetState, formatRemaining } from './state';

export interface UiHandlers {
  press(): void;
  cancel(): void;
  newPin(): void;
  allow(): void;
  deny(): void;
  stop(): void;
  dismiss(): void;
}

const ICON =
  '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" ' +
  'stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><rect x="2" y="4" width="20" ' +
  'height="13" rx="2"/><path d="M8 21h8M12 17v4"/><circle cx="12" cy="10.5" r="2.5"/></svg>';

type Child = Node | string;

function el<K extends keyof HTMLElementTagNameMap>(
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

export class WidgetUi {
  readonly host: HTMLElement;
  private readonly root: HTMLDivElement;
  private readonly view: HTMLDivElement;
  private readonly live: HTMLDivElement;
  private countdown: HTMLElement | null = null;
  private viewKey = '';

  constructor(
    private readonly doc: Document,
    private readonly handlers: UiHandlers,
  ) {
    this.host = doc.createElement('cobrowse-widget');
    this.host.setAttribute(WIDGET_ATTRIBUTE, '');
    this.host.setAttribute('style', HOST_STYLE);
    const shadow = this.host.attachShadow({ mode: 'open' });
    const style = doc.createElement('style');
    style.textContent = WIDGET_CSS;
    this.root = el(doc, 'div', { class: 'cb-root', lang: 'en', [WIDGET_ATTRIBUTE]: '' });
    this.view = el(doc, 'div', { class: 'cb-view' });
    this.live = el(doc, 'div', { class: 'cb-toast', role: 'status', 'aria-live': 'polite' });
    this.root.append(this.view, this.live);
    shadow.append(style, this.root);
    this.root.addEventListener('keydown', (event) => this.onKey(event));
  }

  /** Put the host in the page (again, if a page script removed it). */
  mount(): void {
    if (this.host.isConnected) return;
    (this.doc.body ?? this.doc.documentElement).appendChild(this.host);
  }

  unmount(): void {
    this.host.remove();
  }

  /** Show `message` in the polite status toast ("" hides it). */
  announce(message: string): void {
    this.live.textContent = message;
  }

  render(state: WidgetState, now: number): void {
    this.mount();
    const key = viewKey(state);
    if (key === this.viewKey) {
      this.tick(state, now);
      return;
    }
    const hadFocus = this.hasFocus();
    this.viewKey = key;
    this.countdown = null;
    const view = this.build(state, now);
    this.view.replaceChildren(...(view ? [view] : []));
    this.announce(state.kind === 'ended' ? state.message : '');
    this.placeFocus(state, hadFocus);
  }

  /** Update the PIN countdown without rebuilding (keeps focus and screen reader position). */
  tick(state: WidgetState, now: number): void {
    if (state.kind === 'pin' && this.countdown) {
      this.countdown.textContent = `Valid for ${formatRemaining(state.expiresAt, now)}`;
    }
  }

  private hasFocus(): boolean {
    const shadow = this.host.shadowRoot;
    return this.doc.activeElement === this.host && !!shadow && shadow.activeElement !== null;
  }

  private placeFocus(state: WidgetState, hadFocus: boolean): void {
    const target = this.view.querySelector<HTMLElement>('[data-autofocus]');
    const isDialog = state.kind === 'pin' || state.kind === 'expired' || state.kind === 'consent' ||
      state.kind === 'creating';
    if (target && (isDialog || hadFocus)) target.focus();
  }

  private onKey(event: KeyboardEvent): void {
    if (event.key !== 'Escape') return;
    const key = this.viewKey;
    if (key.startsWith('pin:') || key === 'expired' || key === 'creating') {
      event.stopPropagation();
      this.handlers.cancel();
    }
  }

  private button(label: string, cls: string, onClick: () => void, focus = false): HTMLButtonElement {
    const b = el(this.doc, 'button', { type: 'button', class: cls }, [label]);
    if (focus) b.setAttribute('data-autofocus', '');
    b.addEventListener('click', (event) => {
      event.preventDefault();
      onClick();
    });
    return b;
  }

  private dialog(label: string, body: Child[]): HTMLElement {
    const title = el(this.doc, 'h2', { class: 'cb-title', id: 'cb-title' }, [label]);
    return el(
      this.doc,
      'div',
      {
        class: 'cb-dialog',
        role: 'dialog',
        'aria-modal': 'false',
        'aria-labelledby': 'cb-title',
        tabindex: '-1',
        'data-autofocus': '',
      },
      [title, ...body],
    );
  }

  private build(state: WidgetState, now: number): HTMLElement | null {
    const d = this.doc;
    const h = this.handlers;
    switch (state.kind) {
      case 'resuming':
        return null;
      case 'idle':
      case 'ended': {
        const b = this.button('Co-browse', 'cb-launch', h.press);
        b.insertAdjacentHTML('afterbegin', ICON);
        b.setAttribute('data-autofocus', '');
        return b;
      }
      case 'creating':
        return this.dialog('Co-browse PIN', [
          el(d, 'p', { class: 'cb-text' }, ['Getting a PIN…']),
          el(d, 'div', { class: 'cb-actions' }, [this.button('Cancel', 'cb-secondary', h.cancel)]),
        ]);
      case 'pin': {
        this.countdown = el(d, 'p', { class: 'cb-valid' }, [
          `Valid for ${formatRemaining(state.expiresAt, now)}`,
        ]);
        return this.dialog('Co-browse PIN', [
          el(d, 'p', { class: 'cb-text' }, ['Read this PIN to the helpdesk agent']),
          el(d, 'p', { class: 'cb-pin' }, [state.pinDisplay]),
          this.countdown,
          el(d, 'div', { class: 'cb-actions' }, [this.button('Cancel', 'cb-secondary', h.cancel)]),
        ]);
      }
      case 'expired':
        return this.dialog('Co-browse PIN', [
          el(d, 'p', { class: 'cb-text' }, ['This PIN has expired']),
          el(d, 'div', { class: 'cb-actions' }, [
            this.button('Close', 'cb-secondary', h.cancel),
            this.button('New PIN', 'cb-primary', h.newPin),
          ]),
        ]);
      case 'consent': {
        const allow = this.button('Allow', 'cb-primary', h.allow);
        const deny = this.button('Deny', 'cb-secondary', h.deny);
        allow.disabled = state.answered;
        deny.disabled = state.answered;
        return this.dialog('Co-browse request', [
          el(d, 'p', { class: 'cb-text' }, [
            `${state.agent.name} from the helpdesk wants to see this browser tab. ` +
              'Fields with personal data stay hidden.',
          ]),
          ...(state.answered ? [el(d, 'p', { class: 'cb-text' }, ['Connecting…'])] : []),
          el(d, 'div', { class: 'cb-actions' }, [deny, allow]),
        ]);
      }
      case 'active':
        return el(d, 'div', { class: 'cb-bar', role: 'region', 'aria-label': 'Co-browsing' }, [
          el(d, 'span', { class: 'cb-dot', 'aria-hidden': 'true' }),
          el(d, 'p', {}, [`${state.agent.name} is viewing this tab`]),
          this.button('Stop', 'cb-danger', h.stop, true),
        ]);
    }
  }
}

function viewKey(state: WidgetState): string {
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
