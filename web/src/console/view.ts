/**
 * How the agent views the session: zoom out / percentage / zoom in, Fit page, Fit
 * width, Full screen, and Hide chat / Show chat. The choice of zoom and chat is
 * remembered (./prefs.ts). Keys (anywhere in the session view): Alt+= or Alt++ zoom in,
 * Alt+- zoom out, Alt+0 fit page, Alt+W fit width. Full screen takes the whole session
 * view (bar, toolbar, mirror, chat), so every control and the status stay at hand;
 * Escape or "Exit full screen" leaves it.
 */
import { FIT_PAGE, FIT_WIDTH, type Zoom, percentOf, stepZoom } from './scale';
import { type ViewPrefs, prefsStore } from './prefs';
import { type Key, attr, label, t } from './i18n';

export interface ViewHost {
  /** Apply a zoom to the mirror (if any). */
  zoom(zoom: Zoom): void;
  /** The mirror's scale now, or null when there is no mirror yet. */
  scale(): number | null;
  /** Show or hide the chat panel. */
  chat(shown: boolean): void;
}

/** The zoom a key press asks for (Alt with =, +, -, 0, W), or null. Pure. */
export function zoomKey(
  e: Pick<KeyboardEvent, 'altKey' | 'ctrlKey' | 'metaKey' | 'code' | 'key'>,
  scale: number,
): Zoom | null {
  if (!e.altKey || e.ctrlKey || e.metaKey) return null;
  switch (e.code) {
    case 'Equal':
    case 'NumpadAdd':
      return stepZoom(scale, 1);
    case 'Minus':
    case 'NumpadSubtract':
      return stepZoom(scale, -1);
    case 'Digit0':
    case 'Numpad0':
      return FIT_PAGE;
    case 'KeyW':
      return FIT_WIDTH;
    default:
      return e.key === '+' ? stepZoom(scale, 1) : null;
  }
}

function button(doc: Document, key: Key, cls = 'tool'): HTMLButtonElement {
  const b = doc.createElement('button');
  b.type = 'button';
  b.className = `button ${cls}`;
  label(b, key);
  return b;
}

export class ViewControls {
  readonly root: HTMLElement;
  readonly chatToggle: HTMLButtonElement;
  private readonly level: HTMLOutputElement;
  private readonly fitPage: HTMLButtonElement;
  private readonly fitWidth: HTMLButtonElement;
  private readonly full: HTMLButtonElement;
  private prefs: ViewPrefs;
  private unread = 0;

  constructor(
    private readonly doc: Document,
    /** What full screen shows (the session view). */
    private readonly fullTarget: HTMLElement,
    private readonly host: ViewHost,
  ) {
    this.prefs = prefsStore.load();
    const root = doc.createElement('div');
    root.className = 'view-group';
    root.setAttribute('role', 'group');
    attr(root, 'aria-label', 'view');
    const out = button(doc, 'zoomOut');
    out.classList.add('icon-only');
    delete out.dataset.i18n; // its text is a sign; its name comes from aria-label
    out.textContent = '−';
    attr(out, 'aria-label', 'zoomOut');
    attr(out, 'title', 'zoomOut');
    out.setAttribute('aria-keyshortcuts', 'Alt+-');
    out.addEventListener('click', () => this.step(-1));
    this.level = doc.createElement('output');
    this.level.className = 'zoom-level';
    attr(this.level, 'aria-label', 'zoomLevel');
    const into = button(doc, 'zoomIn');
    into.classList.add('icon-only');
    delete into.dataset.i18n; // its text is a sign; its name comes from aria-label
    into.textContent = '+';
    attr(into, 'aria-label', 'zoomIn');
    attr(into, 'title', 'zoomIn');
    into.setAttribute('aria-keyshortcuts', 'Alt+=');
    into.addEventListener('click', () => this.step(1));
    this.fitPage = button(doc, 'fitPage');
    this.fitPage.setAttribute('aria-keyshortcuts', 'Alt+0');
    this.fitPage.addEventListener('click', () => this.setZoom(FIT_PAGE));
    this.fitWidth = button(doc, 'fitWidth');
    this.fitWidth.setAttribute('aria-keyshortcuts', 'Alt+W');
    this.fitWidth.addEventListener('click', () => this.setZoom(FIT_WIDTH));
    this.full = button(doc, 'fullScreen');
    this.full.addEventListener('click', () => void this.toggleFullScreen());
    this.full.hidden = !doc.fullscreenEnabled;
    this.chatToggle = button(doc, 'hideChat');
    this.chatToggle.classList.add('chat-toggle');
    this.chatToggle.setAttribute('aria-controls', 'chat-aside');
    this.chatToggle.addEventListener('click', () => this.setChat(!this.prefs.chat));
    root.append(out, this.level, into, this.fitPage, this.fitWidth, this.full, this.chatToggle);
    this.root = root;
    doc.addEventListener('fullscreenchange', () => this.render());
    doc.addEventListener('keydown', (e) => this.onKey(e));
    this.render();
  }

  get chatShown(): boolean {
    return this.prefs.chat;
  }

  get zoom(): Zoom {
    return this.prefs.zoom;
  }

  /** Apply the remembered choices (to a new mirror, and the chat panel). */
  apply(): void {
    this.host.zoom(this.prefs.zoom);
    this.host.chat(this.prefs.chat);
    this.render();
  }

  setZoom(zoom: Zoom): void {
    this.save({ ...this.prefs, zoom });
    this.host.zoom(zoom);
    this.render();
  }

  setChat(shown: boolean): void {
    this.save({ ...this.prefs, chat: shown });
    this.host.chat(shown);
    this.render();
  }

  /** Messages the agent has not read (shown on "Show chat"). */
  setUnread(n: number): void {
    this.unread = n;
    this.render();
  }

  async toggleFullScreen(): Promise<void> {
    try {
      if (this.doc.fullscreenElement) await this.doc.exitFullscreen();
      else await this.fullTarget.requestFullscreen();
    } catch {
      /* refused by the browser: the view stays as it is */
    }
    this.render();
  }

  /** Labels and pressed states from the state now (also after a language switch). */
  render(): void {
    const scale = this.host.scale();
    this.level.textContent = scale === null ? '–' : `${percentOf(scale)}%`;
    this.fitPage.setAttribute('aria-pressed', String(this.prefs.zoom.kind === 'page'));
    this.fitWidth.setAttribute('aria-pressed', String(this.prefs.zoom.kind === 'width'));
    const full = this.doc.fullscreenElement === this.fullTarget;
    label(this.full, full ? 'exitFullScreen' : 'fullScreen');
    this.full.setAttribute('aria-pressed', String(full));
    const shown = this.prefs.chat;
    if (shown) label(this.chatToggle, 'hideChat');
    else if (this.unread > 0) {
      delete this.chatToggle.dataset.i18n;
      this.chatToggle.textContent = t('showChatUnread', { n: this.unread });
    } else label(this.chatToggle, 'showChat');
    this.chatToggle.dataset.unread = String(shown ? 0 : this.unread);
  }

  private step(direction: 1 | -1): void {
    this.setZoom(stepZoom(this.host.scale() ?? 1, direction));
  }

  private onKey(e: KeyboardEvent): void {
    if (!this.fullTarget.isConnected || this.fullTarget.hidden) return;
    const zoom = zoomKey(e, this.host.scale() ?? 1);
    if (!zoom) return;
    e.preventDefault();
    this.setZoom(zoom);
  }

  private save(prefs: ViewPrefs): void {
    this.prefs = prefs;
    prefsStore.save(prefs);
  }
}
