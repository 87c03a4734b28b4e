/**
 * The widget's DOM: an open shadow root on one host element, its own styles, and a
 * view per state. Built before recording starts; afterwards only the inside of the
 * root container changes, and the container matches the recorder's block selector,
 * so rrweb never serializes the widget. The session bar is bar.ts, the panels' box
 * dock.ts, a chat message's toast chat-toast.ts.
 */
import { HOST_STYLE, WIDGET_CSS } from './styles';
import { WIDGET_ATTRIBUTE } from './recorder';
import { type WidgetState, formatRemaining } from './state';
import { button, controlDialog, el, offerDialog, stateView, viewKey, watchDialog } from './views';
import { ChatView } from '../chat';
import type { ChatEntry, ControlState, OfferMessage } from '../protocol';
import { EN, type Translator, translator } from '../i18n';
import { SessionBar } from './bar';
import { ChatToast } from './chat-toast';
import { Dock } from './dock';
import { type BarLayout, LAYOUT_KEY, type Rect, parseLayout, serializeLayout } from './layout';
import { safeSessionStorage } from './storage';

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
  /** The visitor's answer to a supervisor asking to watch. */
  watchAnswer?(watcherId: string, allow: boolean): void;
}

/** What the session bar shows beside the state: chat and control. */
export interface SessionExtras {
  readonly unread: number;
  readonly control: ControlState;
  readonly chatOpen: boolean;
}

export const TOAST_MS = 5000;

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
  private readonly dock: Dock;
  private readonly chatBox: HTMLDivElement;
  private readonly controlBox: HTMLDivElement;
  private readonly toastEl: HTMLDivElement;
  private toastTimer: ReturnType<typeof setTimeout> | null = null;
  private extras: SessionExtras = { unread: 0, control: 'view', chatOpen: false };
  private bar: SessionBar | null = null;
  /** Where the bar is and whether it is minimised (kept for the tab). */
  private layout: BarLayout;
  /** Who else is in the session ("Also watching: …"), kept across rebuilds of the bar. */
  private participants: readonly string[] = [];
  /** The session is recorded: said in the consent dialog and the session bar. */
  recorded = false;
  /** Polite announcements: a chat message, the bar moved. */
  private readonly sr: HTMLDivElement;
  readonly chatToast: ChatToast;
  private chatMounted = false;
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
    this.dock = new Dock(doc, () => this.bar?.rect() ?? null);
    this.chatBox = this.dock.chatBox;
    this.controlBox = this.dock.controlBox;
    this.offerBox = this.dock.offerBox;
    this.sr = el(doc, 'div', { class: 'cb-sr', role: 'status', 'aria-live': 'polite', id: 'cb-announce' });
    this.chatToast = new ChatToast(
      doc,
      tr,
      () => this.toggleChat(true),
      (text) => this.say(text),
      (hadFocus) => {
        this.placeChatToast();
        if (hadFocus) this.bar?.focusChat();
      },
    );
    this.layout = parseLayout(readLayout());
    this.root.append(this.guideRoot, this.view, this.dock.root, this.chatToast.root, this.live, this.toastEl, this.sr);
    shadow.append(style, this.root);
    this.root.addEventListener('keydown', (event) => this.onKey(event));
    const win = doc.defaultView;
    if (win) {
      this.dock.watch(win);
      win.addEventListener('resize', () => {
        this.placeBar();
        this.placeChatToast();
      });
    }
  }

  /**
   * Who else is in the session besides the agent helping (a supervisor watching, say):
   * the bar shows "Also watching: …", and nothing when `names` is empty.
   */
  showParticipants(names: readonly string[]): void {
    this.participants = [...names];
    this.bar?.setParticipants(this.participants);
    this.placeChatToast();
  }

  /**
   * A supervisor asking to watch (the first of `asking`; null: nobody asks): a dialog
   * with Allow and Deny, before any other panel.
   */
  showWatchRequest(asking: { readonly id: string; readonly name: string } | null): void {
    const box = this.dock.watchBox;
    const shown = box.firstElementChild?.getAttribute('data-watcher') ?? null;
    if ((asking?.id ?? null) === shown) return;
    const hadFocus = this.hasFocus() && box.contains(this.host.shadowRoot?.activeElement ?? null);
    if (!asking || !this.viewKey.startsWith('active:')) {
      box.replaceChildren();
      this.dock.sync();
      if (hadFocus) this.bar?.focusChat();
      return;
    }
    const answer = (allow: boolean): void => this.handlers.watchAnswer?.(asking.id, allow);
    const dialog = watchDialog(this.doc, this.tr, asking.name, this.agentName, () => answer(true), () => answer(false));
    dialog.setAttribute('data-watcher', asking.id);
    box.replaceChildren(dialog);
    this.dock.sync();
    box.querySelector<HTMLElement>('[data-autofocus]')?.focus();
  }

  /** A chat message arrived while the chat is closed: show it briefly, and say it. */
  chatMessage(name: string, text: string): void {
    if (!this.viewKey.startsWith('active:') || this.extras.chatOpen) return;
    this.chatToast.show(name, text);
  }

  /** The overlay frame's focused element (proxy mode; undefined when there is no frame). */
  setFrameField(rect: Rect | null | undefined): void {
    this.dock.setFrameField(rect);
  }

  /** Say `text` to screen readers, politely (the same text again is said again). */
  private say(text: string): void {
    this.sr.textContent = this.sr.textContent === text ? `${text}\u00a0` : text;
  }

  private placeChatToast(): void {
    const toast = this.chatToast.root;
    if (toast.hidden) return;
    const bar = this.bar?.rect();
    const win = this.doc.defaultView;
    const vw = win?.innerWidth ?? 0;
    const vh = win?.innerHeight ?? 0;
    const box = toast.getBoundingClientRect();
    const gap = 8;
    let left = vw - box.width - 16;
    let top = vh - box.height - 16;
    if (bar) {
      left = bar.left + bar.width / 2 - box.width / 2;
      top = bar.top > vh / 2 ? bar.top - box.height - gap : bar.top + bar.height + gap;
    }
    toast.style.left = `${Math.round(Math.min(Math.max(left, 8), Math.max(8, vw - box.width - 8)))}px`;
    toast.style.top = `${Math.round(Math.min(Math.max(top, 8), Math.max(8, vh - box.height - 8)))}px`;
  }

  private placeBar(): void {
    this.bar?.place();
    this.sideOfBar();
  }

  /** The agent's action toasts go to the top, or to the bottom when the bar is up there. */
  private sideOfBar(): void {
    const bar = this.bar?.rect();
    const vh = this.doc.defaultView?.innerHeight ?? 0;
    this.root.toggleAttribute('data-bar-top', !!bar && bar.top + bar.height / 2 < vh / 2);
  }

  private layoutChanged(layout: BarLayout): void {
    this.layout = layout;
    writeLayout(serializeLayout(layout));
    this.sideOfBar();
    this.placeChatToast();
    this.dock.place();
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
    const bar = this.bar;
    if (bar) {
      bar.setChatOpen(x.chatOpen);
      bar.setUnread(x.chatOpen ? 0 : x.unread);
      bar.setControl(x.control === 'control');
      bar.setReconnecting(this.reconnecting);
      bar.setStatus(
        this.reconnecting
          ? this.tr.s.reconnecting
          : x.control === 'control'
            ? this.tr.t('controlling', { name: this.agentName })
            : this.tr.t('viewing', { name: this.agentName }),
      );
    }
    const chatOpen = active && x.chatOpen;
    if (chatOpen && !this.chatMounted) {
      this.chatMounted = true;
      this.chatToast.hide();
      const hide = button(this.doc, this.tr.s.hideChat, 'cb-hide', () => this.toggleChat(false));
      this.chatBox.replaceChildren(hide, this.chat.root);
      this.dock.setChat(true);
      this.chat.log.scrollTop = this.chat.log.scrollHeight;
      if (!this.dock.dialogUp) this.chat.input.focus();
    } else if (!chatOpen && this.chatMounted) {
      this.chatMounted = false;
      this.chatBox.replaceChildren();
      this.dock.setChat(false);
    }
    const wantDialog = active && x.control === 'requested';
    const hasDialog = this.controlBox.childElementCount > 0;
    if (wantDialog && !hasDialog) {
      this.controlBox.replaceChildren(
        controlDialog(this.doc, this.tr, this.agentName, () => this.handlers.allowControl?.(), () => this.handlers.denyControl?.()),
      );
      this.dock.sync();
      this.controlBox.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    } else if (!wantDialog && hasDialog) {
      const hadFocus = this.hasFocus() && this.controlBox.contains(this.host.shadowRoot?.activeElement ?? null);
      this.controlBox.replaceChildren();
      this.dock.sync();
      if (hadFocus && bar) {
        if (bar.takeBackButton.hidden) bar.focusChat();
        else bar.takeBackButton.focus();
      }
    }
  }

  private toggleChat(open: boolean): void {
    if (this.handlers.chatToggle) this.handlers.chatToggle(open);
    else this.setExtras({ ...this.extras, chatOpen: open });
    if (!open) this.bar?.focusChat();
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
      this.dock.sync();
      if (hadFocus) this.view.querySelector<HTMLElement>('[data-autofocus]')?.focus();
      return;
    }
    const name = offer.agent?.name || this.agentName || this.tr.s.theAgent;
    const dialog = offerDialog(this.doc, this.tr, offer, name, (accept) => this.handlers.offerAnswer?.(offer.file_id, accept));
    this.offerBox.replaceChildren(dialog);
    this.dock.sync();
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
      const continueButton = button(d, this.tr.s.carryContinue, 'cb-primary', done);
      const title = el(d, 'h2', { class: 'cb-title', id: 'cb-carry-title' }, [this.tr.s.carryTitle]);
      const box = el(
        d,
        'div',
        { class: 'cb-dialog cb-carry', role: 'alertdialog', 'aria-modal': 'true', 'aria-labelledby': 'cb-carry-title' },
        [title, ...lines.map((line) => el(d, 'p', { class: 'cb-text' }, [line])), el(d, 'div', { class: 'cb-actions' }, [continueButton])],
      );
      box.addEventListener('keydown', (event) => {
        if (event.key === 'Escape') {
          event.stopPropagation();
          done();
        }
      });
      this.root.append(box);
      continueButton.focus();
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
    this.bar = null;
    const view = this.build(state, now);
    this.view.replaceChildren(...(view ? [view] : []));
    this.placeBar();
    if (!key.startsWith('active:')) {
      this.extras = { unread: 0, control: 'view', chatOpen: false };
      this.participants = []; // the next session starts with nobody else watching
      this.chatToast.hide();
    }
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

  private build(state: WidgetState, now: number): HTMLElement | null {
    if (state.kind !== 'active') {
      const h = this.handlers;
      const view = stateView(this.doc, this.tr, state, now, h, (name) => this.agentLabel(name), (line) => {
        this.countdown = line;
      });
      if (state.kind === 'consent' && this.recorded) {
        view?.querySelector('.cb-text')?.after(el(this.doc, 'p', { class: 'cb-text cb-recorded' }, [this.tr.s.recorded]));
      }
      return view;
    }
    this.agentName = this.agentLabel(state.agent.name);
    this.bar = new SessionBar(this.doc, this.tr, this.layout, {
      stop: this.handlers.stop,
      takeBack: () => this.handlers.takeBack?.(),
      toggleChat: () => this.toggleChat(!this.extras.chatOpen),
      changed: (layout) => this.layoutChanged(layout),
      announce: (text) => this.say(text),
    });
    this.bar.setStatus(this.tr.t('viewing', { name: this.agentName }));
    this.bar.setParticipants(this.participants);
    if (this.recorded) this.bar.status.after(el(this.doc, 'p', { class: 'cb-recorded' }, [this.tr.s.recorded]));
    return this.bar.root;
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
    const focused = this.host.shadowRoot?.activeElement ?? null;
    if (this.chatToast.shown && this.chatToast.root.contains(focused)) {
      event.stopPropagation();
      this.chatToast.hide();
      return;
    }
    if (this.extras.chatOpen && !this.chatBox.hidden && this.chatBox.contains(focused) && this.extras.control !== 'control') {
      event.stopPropagation();
      this.toggleChat(false);
      return;
    }
    if (key.startsWith('pin:') || key === 'expired' || key === 'creating') {
      event.stopPropagation();
      this.handlers.cancel();
    }
  }
}

function readLayout(): string | null {
  try {
    return safeSessionStorage()?.getItem(LAYOUT_KEY) ?? null;
  } catch {
    return null;
  }
}

function writeLayout(text: string): void {
  try {
    safeSessionStorage()?.setItem(LAYOUT_KEY, text);
  } catch {
    /* the bar's place lasts for this page only */
  }
}
