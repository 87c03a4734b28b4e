/**
 * The widget's DOM: an open shadow root on one host element, its own styles, and a
 * view per state. Built before recording starts; afterwards only the inside of the
 * root container changes, and the container matches the recorder's block selector,
 * so rrweb never serializes the widget.
 */
import { HOST_STYLE, WIDGET_CSS } from './styles';
import { WIDGET_ATTRIBUTE } from './recorder';
import { type WidgetState, formatRemaining } from './state';
import { ChatView } from '../chat';
import type { ChatEntry, ControlState, OfferMessage } from '../protocol';
import { EN, type Translator, translator } from '../i18n';

export interface UiHandlers {
  press(): void;
  cancel(): void;
  newPin(): void;
  allow(): void;
  deny(): void;
  stop(): void;
  dismiss(): void;
  /** Chat and control (optional so a bare UI can be built in tests). */
  chatSend?(text: string): void;
  chatToggle?(open: boolean): void;
  allowControl?(): void;
  denyControl?(): void;
  takeBack?(): void;
  /** The visitor's answer to a file offer. */
  offerAnswer?(fileId: string, accept: boolean): void;
}

/** What the session bar shows beside the state: chat and control. */
export interface SessionExtras {
  readonly unread: number;
  readonly control: ControlState;
  readonly chatOpen: boolean;
}

export const TOAST_MS = 5000;

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
  /** Where the agent's guidance is drawn (under the widget's own UI). */
  readonly guideRoot: HTMLDivElement;
  readonly chat: ChatView;
  private readonly chatBox: HTMLDivElement;
  private readonly controlBox: HTMLDivElement;
  private readonly toastEl: HTMLDivElement;
  private toastTimer: ReturnType<typeof setTimeout> | null = null;
  private extras: SessionExtras = { unread: 0, control: 'view', chatOpen: false };
  private chatButton: HTMLButtonElement | null = null;
  private unreadBadge: HTMLElement | null = null;
  private unreadText: HTMLElement | null = null;
  private takeBackButton: HTMLButtonElement | null = null;
  private barText: HTMLElement | null = null;
  /** The session is recorded: said in the consent dialog and the session bar. */
  recorded = false;
  private bar: HTMLElement | null = null;
  /** The socket is down or catching up: the session bar says so. */
  private reconnecting = false;
  private agentName = '';
  private readonly offerBox: HTMLDivElement;
  private offerShown = '';

  constructor(
    private readonly doc: Document,
    private readonly handlers: UiHandlers,
    /** The visitor's language (all text of the widget). */
    readonly tr: Translator = translator('en'),
  ) {
    this.host = doc.createElement('cobrowse-widget');
    this.host.setAttribute(WIDGET_ATTRIBUTE, '');
    this.host.setAttribute('style', HOST_STYLE);
    const shadow = this.host.attachShadow({ mode: 'open' });
    const style = doc.createElement('style');
    style.textContent = WIDGET_CSS;
    this.root = el(doc, 'div', { class: 'cb-root', lang: tr.lang, [WIDGET_ATTRIBUTE]: '' });
    this.view = el(doc, 'div', { class: 'cb-view' });
    this.live = el(doc, 'div', { class: 'cb-toast', role: 'status', 'aria-live': 'polite' });
    this.toastEl = el(doc, 'div', { class: 'cb-toast cb-act-toast', role: 'status', 'aria-live': 'polite' });
    this.guideRoot = el(doc, 'div', { class: 'cb-guide' });
    this.chat = new ChatView(doc, {
      self: 'visitor',
      idPrefix: 'cb-chat',
      send: (text) => this.handlers.chatSend?.(text),
      strings: {
        title: tr.s.chatTitle,
        log: tr.s.chatLog,
        message: tr.s.chatMessage,
        send: tr.s.chatSend,
        you: tr.s.chatYou,
        empty: tr.s.chatEmpty,
      },
    });
    this.chatBox = el(doc, 'div', { class: 'cb-chat-box', id: 'cb-chat-box' });
    this.chatBox.hidden = true;
    this.controlBox = el(doc, 'div', { class: 'cb-control-box' });
    this.offerBox = el(doc, 'div', { class: 'cb-offer-box' });
    this.root.append(this.guideRoot, this.view, this.chatBox, this.controlBox, this.offerBox, this.live, this.toastEl);
    shadow.append(style, this.root);
    this.root.addEventListener('keydown', (event) => this.onKey(event));
  }

  /** Show a passing message (an agent's action) for a few seconds. */
  toast(message: string): void {
    this.toastEl.textContent = message;
    if (this.toastTimer !== null) clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => {
      this.toastTimer = null;
      this.toastEl.textContent = '';
    }, TOAST_MS);
  }

  /** Chat messages from the server (deduplicated by seq in the view). */
  chatEntries(entries: readonly ChatEntry[]): void {
    this.chat.render(entries);
  }

  /** While the connection is down (until the server's `synced`), the session bar says "Reconnecting…". */
  setReconnecting(on: boolean): void {
    if (on === this.reconnecting) return;
    this.reconnecting = on;
    this.applyExtras(null);
  }

  /** Update the session bar's chat button, the control dialog and "Take back control". */
  setExtras(extras: SessionExtras): void {
    const before = this.extras;
    this.extras = extras;
    this.applyExtras(before);
  }

  private applyExtras(_before: SessionExtras | null): void {
    const x = this.extras;
    const active = this.viewKey.startsWith('active:');
    if (this.chatButton) {
      this.chatButton.setAttribute('aria-expanded', String(x.chatOpen));
      const n = x.chatOpen ? 0 : x.unread;
      if (this.unreadBadge) {
        this.unreadBadge.textContent = n > 0 ? String(n) : '';
        this.unreadBadge.hidden = n === 0;
      }
      if (this.unreadText) this.unreadText.textContent = n > 0 ? this.tr.t('unread', { n }) : '';
    }
    const chatWasOpen = !this.chatBox.hidden;
    const chatOpen = active && x.chatOpen;
    this.chatBox.hidden = !chatOpen;
    if (chatOpen && !chatWasOpen) {
      this.chatBox.replaceChildren(this.chat.root);
      this.chat.log.scrollTop = this.chat.log.scrollHeight;
      this.chat.input.focus();
    } else if (!chatOpen && chatWasOpen) {
      this.chatBox.replaceChildren();
    }
    if (this.takeBackButton) this.takeBackButton.hidden = x.control !== 'control';
    if (this.barText) {
      const text = this.reconnecting
        ? this.tr.s.reconnecting
        : x.control === 'control'
          ? this.tr.t('controlling', { name: this.agentName })
          : this.tr.t('viewing', { name: this.agentName });
      if (this.barText.textContent !== text) this.barText.textContent = text;
    }
    this.bar?.toggleAttribute('data-reconnecting', this.reconnecting);
    const wantDialog = active && x.control === 'requested';
    const hasDialog = this.controlBox.childElementCount > 0;
    if (wantDialog && !hasDialog) {
      this.controlBox.replaceChildren(this.controlDialog());
      this.controlBox.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    } else if (!wantDialog && hasDialog) {
      const hadFocus = this.hasFocus() && this.controlBox.contains(this.host.shadowRoot?.activeElement ?? null);
      this.controlBox.replaceChildren();
      if (hadFocus) (this.takeBackButton && !this.takeBackButton.hidden ? this.takeBackButton : this.chatButton)?.focus();
    }
  }

  private toggleChat(open: boolean): void {
    if (this.handlers.chatToggle) this.handlers.chatToggle(open);
    else this.setExtras({ ...this.extras, chatOpen: open });
    if (!open) this.chatButton?.focus();
  }

  private controlDialog(): HTMLElement {
    const d = this.doc;
    const tr = this.tr;
    const title = el(d, 'h2', { class: 'cb-title', id: 'cb-control-title' }, [tr.s.controlTitle]);
    return el(
      d,
      'div',
      { class: 'cb-dialog cb-control', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'cb-control-title', tabindex: '-1' },
      [
        title,
        el(d, 'p', { class: 'cb-text' }, [tr.t('controlText', { name: this.agentName || tr.s.theAgent })]),
        el(d, 'div', { class: 'cb-actions' }, [
          this.button(tr.s.denyControl, 'cb-secondary', () => this.handlers.denyControl?.()),
          this.button(tr.s.allowControl, 'cb-primary', () => this.handlers.allowControl?.(), true),
        ]),
      ],
    );
  }

  /** The agent's name as shown (the state machine's placeholder name, translated). */
  private agentLabel(name: string): string {
    return name === EN.unknownAgent ? this.tr.s.unknownAgent : name;
  }

  /**
   * Show the file offer dialog for `offer` (null hides it). "Asha Rao offers you a file:
   * Form-16-guide.pdf (47 KB)" with Download and Decline.
   */
  showOffer(offer: OfferMessage | null): void {
    const key = offer ? offer.file_id : '';
    if (key === this.offerShown) return;
    const hadFocus = this.hasFocus() && this.offerBox.contains(this.host.shadowRoot?.activeElement ?? null);
    this.offerShown = key;
    if (!offer) {
      this.offerBox.replaceChildren();
      if (hadFocus) this.view.querySelector<HTMLElement>('[data-autofocus]')?.focus();
      return;
    }
    const d = this.doc;
    const tr = this.tr;
    const name = offer.agent?.name || this.agentName || tr.s.theAgent;
    const answer = (accept: boolean): void => this.handlers.offerAnswer?.(offer.file_id, accept);
    const dialog = el(
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
        el(d, 'p', { class: 'cb-text', id: 'cb-offer-text' }, [
          tr.t('offerText', { name, file: offer.name, size: tr.size(offer.size) }),
        ]),
        el(d, 'div', { class: 'cb-actions' }, [
          this.button(tr.s.decline, 'cb-secondary', () => answer(false)),
          this.button(tr.s.download, 'cb-primary', () => answer(true)),
        ]),
      ],
    );
    this.offerBox.replaceChildren(dialog);
    dialog.focus();
  }

  /**
   * Start a download in the visitor's browser (the server answers with an attachment).
   * Only an http(s) address becomes a link: never `javascript:` or `data:`.
   */
  download(url: string): void {
    let parsed: URL;
    try {
      parsed = new URL(url, this.doc.baseURI);
    } catch {
      return;
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return;
    const a = el(this.doc, 'a', { href: parsed.href, download: '', rel: 'noopener', hidden: '' });
    this.root.append(a);
    try {
      a.click();
    } finally {
      a.remove();
    }
  }

  /** Put the host in the page (again, if a page script removed it). */
  mount(): void {
    if (this.host.isConnected) return;
    (this.doc.body ?? this.doc.documentElement).appendChild(this.host);
  }

  unmount(): void {
    this.host.remove();
  }

  /**
   * Before the overlay closes: what could not be carried back to the site, in a dialog
   * over it, until the visitor presses Continue (or Escape or Enter).
   */
  carryNotice(lines: readonly string[]): Promise<void> {
    const d = this.doc;
    this.mount();
    return new Promise((resolve) => {
      const done = (): void => {
        box.remove();
        resolve();
      };
      const button = this.button(this.tr.s.carryContinue, 'cb-primary', done);
      const title = el(d, 'h2', { class: 'cb-title', id: 'cb-carry-title' }, [this.tr.s.carryTitle]);
      const box = el(
        d,
        'div',
        { class: 'cb-dialog cb-carry', role: 'alertdialog', 'aria-modal': 'true', 'aria-labelledby': 'cb-carry-title' },
        [title, ...lines.map((line) => el(d, 'p', { class: 'cb-text' }, [line])), el(d, 'div', { class: 'cb-actions' }, [button])],
      );
      box.addEventListener('keydown', (event) => {
        if (event.key === 'Escape') {
          event.stopPropagation();
          done();
        }
      });
      this.root.append(box);
      button.focus();
    });
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
    this.chatButton = null;
    this.unreadBadge = null;
    this.unreadText = null;
    this.takeBackButton = null;
    this.barText = null;
    this.bar = null;
    const view = this.build(state, now);
    this.view.replaceChildren(...(view ? [view] : []));
    if (!key.startsWith('active:')) this.extras = { unread: 0, control: 'view', chatOpen: false };
    this.applyExtras(null);
    if (!key.startsWith('active:')) this.showOffer(null);
    this.announce(state.kind === 'ended' ? this.tr.local(state.message) : '');
    this.placeFocus(state, hadFocus);
  }

  /** Update the PIN countdown without rebuilding (keeps focus and screen reader position). */
  tick(state: WidgetState, now: number): void {
    if (state.kind === 'pin' && this.countdown) {
      this.countdown.textContent = this.tr.t('validFor', { time: formatRemaining(state.expiresAt, now) });
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
    if (this.extras.chatOpen && !this.chatBox.hidden && this.chatBox.contains(this.host.shadowRoot?.activeElement ?? null) && this.extras.control !== 'control') {
      event.stopPropagation();
      this.toggleChat(false);
      return;
    }
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
    const tr = this.tr;
    switch (state.kind) {
      case 'resuming':
        return null;
      case 'idle':
      case 'ended': {
        const b = this.button(tr.s.launch, 'cb-launch', h.press);
        b.insertAdjacentHTML('afterbegin', ICON);
        b.setAttribute('data-autofocus', '');
        return b;
      }
      case 'creating':
        return this.dialog(tr.s.pinTitle, [
          el(d, 'p', { class: 'cb-text' }, [tr.s.gettingPin]),
          el(d, 'div', { class: 'cb-actions' }, [this.button(tr.s.cancel, 'cb-secondary', h.cancel)]),
        ]);
      case 'pin': {
        this.countdown = el(d, 'p', { class: 'cb-valid' }, [
          tr.t('validFor', { time: formatRemaining(state.expiresAt, now) }),
        ]);
        return this.dialog(tr.s.pinTitle, [
          el(d, 'p', { class: 'cb-text' }, [tr.s.readPin]),
          el(d, 'p', { class: 'cb-pin' }, [state.pinDisplay]),
          this.countdown,
          el(d, 'div', { class: 'cb-actions' }, [this.button(tr.s.cancel, 'cb-secondary', h.cancel)]),
        ]);
      }
      case 'expired':
        return this.dialog(tr.s.pinTitle, [
          el(d, 'p', { class: 'cb-text' }, [tr.s.pinExpired]),
          el(d, 'div', { class: 'cb-actions' }, [
            this.button(tr.s.close, 'cb-secondary', h.cancel),
            this.button(tr.s.newPin, 'cb-primary', h.newPin),
          ]),
        ]);
      case 'consent': {
        const allow = this.button(tr.s.allow, 'cb-primary', h.allow);
        const deny = this.button(tr.s.deny, 'cb-secondary', h.deny);
        allow.disabled = state.answered;
        deny.disabled = state.answered;
        return this.dialog(tr.s.consentTitle, [
          el(d, 'p', { class: 'cb-text' }, [tr.t('consentText', { name: this.agentLabel(state.agent.name) })]),
          ...(this.recorded ? [el(d, 'p', { class: 'cb-text cb-recorded' }, [tr.s.recorded])] : []),
          ...(state.answered ? [el(d, 'p', { class: 'cb-text' }, [tr.s.connecting])] : []),
          el(d, 'div', { class: 'cb-actions' }, [deny, allow]),
        ]);
      }
      case 'active': {
        this.agentName = this.agentLabel(state.agent.name);
        // A status: "Reconnecting…" and back, control taken and given, are announced.
        this.barText = el(d, 'p', { role: 'status' }, [tr.t('viewing', { name: this.agentName })]);
        this.unreadBadge = el(d, 'span', { class: 'cb-badge', 'aria-hidden': 'true' });
        this.unreadBadge.hidden = true;
        this.unreadText = el(d, 'span', { class: 'cb-sr', id: 'cb-unread' });
        const chat = this.button(tr.s.chat, 'cb-ghost', () => this.toggleChat(!this.extras.chatOpen));
        chat.setAttribute('aria-controls', 'cb-chat-box');
        chat.setAttribute('aria-describedby', 'cb-unread');
        chat.append(this.unreadBadge);
        this.chatButton = chat;
        this.takeBackButton = this.button(tr.s.takeBack, 'cb-warn', () => this.handlers.takeBack?.());
        this.takeBackButton.hidden = true;
        this.bar = el(d, 'div', { class: 'cb-bar', role: 'region', 'aria-label': tr.s.barLabel }, [
          el(d, 'span', { class: 'cb-dot', 'aria-hidden': 'true' }),
          this.barText,
          ...(this.recorded ? [el(d, 'span', { class: 'cb-recorded' }, [tr.s.recorded])] : []),
          chat,
          this.unreadText,
          this.takeBackButton,
          this.button(tr.s.stop, 'cb-danger', h.stop, true),
        ]);
        return this.bar;
      }
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
