/**
 * The console's notices over the mirror: each has a kind (success, info, warning,
 * error) with its own colour, icon and ARIA. Success, info and warning go to a status
 * region (announced politely); errors to an alert region (announced at once). They sit
 * over the bottom of the mirror area and take no layout space and no pointer input, so
 * a notice never moves the mirror under the agent's aim.
 */
export type NoticeKind = 'success' | 'info' | 'warning' | 'error';

/** How long a notice stays (ms); errors stay longer. */
export const NOTICE_MS: Readonly<Record<NoticeKind, number>> = {
  success: 6000,
  info: 8000,
  warning: 10000,
  error: 12000,
};

/** The region a notice of `kind` is announced in. Pure. */
export function noticeRole(kind: NoticeKind): 'status' | 'alert' {
  return kind === 'error' ? 'alert' : 'status';
}

/** The icon beside a notice (shape, not only colour, tells the kind apart). */
const ICON: Readonly<Record<NoticeKind, string>> = { success: '✓', info: 'i', warning: '!', error: '✕' };

export class Notices {
  readonly root: HTMLElement;
  private readonly regions: Record<'status' | 'alert', HTMLElement>;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly doc: Document) {
    this.root = doc.createElement('div');
    this.root.className = 'console-notices';
    const region = (role: 'status' | 'alert'): HTMLElement => {
      const box = doc.createElement('div');
      box.className = `notice-region notice-${role}`;
      box.setAttribute('role', role);
      this.root.append(box);
      return box;
    };
    this.regions = { status: region('status'), alert: region('alert') };
  }

  /** Show `text` as a notice of `kind` (replacing the one shown). */
  say(kind: NoticeKind, text: string): void {
    this.clear();
    const p = this.doc.createElement('p');
    p.className = 'console-notice';
    p.dataset.kind = kind;
    const icon = this.doc.createElement('span');
    icon.className = 'notice-icon';
    icon.setAttribute('aria-hidden', 'true');
    icon.textContent = ICON[kind];
    const body = this.doc.createElement('span');
    body.className = 'notice-text';
    body.textContent = text;
    p.append(icon, body);
    this.regions[noticeRole(kind)].append(p);
    this.timer = setTimeout(() => this.clear(), NOTICE_MS[kind]);
  }

  /** The notice shown now (kind and text), or null. */
  get current(): { kind: NoticeKind; text: string } | null {
    const p = this.root.querySelector<HTMLElement>('.console-notice');
    if (!p) return null;
    return { kind: p.dataset.kind as NoticeKind, text: p.querySelector('.notice-text')?.textContent ?? '' };
  }

  clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const region of Object.values(this.regions)) region.replaceChildren();
  }
}
