/**
 * A chat message that arrives while the chat is closed: shown for a while next to the
 * bar (the sender's name and the text, cut short if long), with Reply (opens the chat,
 * where the whole message is) and Dismiss. It stays while the pointer is over it or
 * focus is in it, never takes focus itself, and screen readers hear the whole message
 * from a polite live region.
 */
import type { Translator } from '../i18n';
import { truncate } from './layout';

/** How long a message stays on screen (restarted when the pointer or focus leaves it). */
export const CHAT_TOAST_MS = 8000;
/** The longest text shown in the toast; the chat has all of it. */
export const CHAT_TOAST_CHARS = 140;

export class ChatToast {
  readonly root: HTMLElement;
  private readonly name: HTMLElement;
  private readonly text: HTMLElement;
  /** Dismiss and Reply (in the toast only while it is shown). */
  private readonly actions: HTMLElement;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private held = new Set<'pointer' | 'focus'>();

  constructor(
    doc: Document,
    private readonly tr: Translator,
    /** Open the chat. */
    private readonly reply: () => void,
    /** The polite live region that reads the message out. */
    private readonly announce: (text: string) => void,
    /** The toast appeared or went (`hadFocus`: focus was in it): place it, move focus. */
    private readonly changed: (hadFocus: boolean) => void,
  ) {
    this.root = doc.createElement('div');
    this.root.className = 'cb-chat-toast';
    this.root.hidden = true;
    this.name = doc.createElement('p');
    this.name.className = 'cb-chat-toast-name';
    this.text = doc.createElement('p');
    this.text.className = 'cb-chat-toast-text';
    this.actions = doc.createElement('div');
    this.actions.className = 'cb-actions';
    const dismiss = doc.createElement('button');
    dismiss.type = 'button';
    dismiss.className = 'cb-ghost';
    dismiss.textContent = tr.s.dismiss;
    dismiss.addEventListener('click', () => this.hide());
    const open = doc.createElement('button');
    open.type = 'button';
    open.className = 'cb-primary';
    open.textContent = tr.s.reply;
    open.addEventListener('click', () => {
      this.hide();
      this.reply();
    });
    this.actions.append(dismiss, open);
    this.root.addEventListener('mouseenter', () => this.hold('pointer', true));
    this.root.addEventListener('mouseleave', () => this.hold('pointer', false));
    this.root.addEventListener('focusin', () => this.hold('focus', true));
    this.root.addEventListener('focusout', (event) => {
      if (!this.root.contains(event.relatedTarget as Node | null)) this.hold('focus', false);
    });
  }

  get shown(): boolean {
    return !this.root.hidden;
  }

  /** A new message from `name`. */
  show(name: string, text: string): void {
    this.name.textContent = name;
    this.text.textContent = truncate(text, CHAT_TOAST_CHARS);
    this.announce(this.tr.t('chatFrom', { name, text: text.replace(/\s+/g, ' ').trim() }));
    const was = this.shown;
    if (!was) this.root.replaceChildren(this.name, this.text, this.actions);
    this.root.hidden = false;
    if (!was) this.changed(false);
    this.restart();
  }

  hide(): void {
    this.stopTimer();
    this.held.clear();
    if (this.root.hidden) return;
    const rootNode = this.root.getRootNode() as Document | ShadowRoot;
    const hadFocus = this.root.contains(rootNode.activeElement);
    this.root.hidden = true;
    this.root.replaceChildren();
    this.changed(hadFocus);
  }

  private hold(why: 'pointer' | 'focus', on: boolean): void {
    if (on) {
      this.held.add(why);
      this.stopTimer();
    } else {
      this.held.delete(why);
      if (this.held.size === 0 && this.shown) this.restart();
    }
  }

  private restart(): void {
    this.stopTimer();
    if (this.held.size > 0) return;
    this.timer = setTimeout(() => this.hide(), CHAT_TOAST_MS);
  }

  private stopTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
