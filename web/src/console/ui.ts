/** The console page's elements (from console.html) and how each view is shown. */
export type View = 'loading' | 'signed-out' | 'join' | 'session';

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`console.html has no #${id}`);
  return node as T;
}

export class ConsoleUi {
  readonly views: Record<View, HTMLElement> = {
    loading: byId('view-loading'),
    'signed-out': byId('view-signed-out'),
    join: byId('view-join'),
    session: byId('view-session'),
  };
  readonly agent = byId<HTMLElement>('agent');
  readonly agentName = byId<HTMLElement>('agent-name');
  readonly signedOutMessage = byId<HTMLElement>('signed-out-message');
  readonly notice = byId<HTMLElement>('notice');
  readonly form = byId<HTMLFormElement>('join-form');
  readonly pin = byId<HTMLInputElement>('pin');
  readonly joinButton = byId<HTMLButtonElement>('join-button');
  readonly joinError = byId<HTMLElement>('join-error');
  readonly status = byId<HTMLElement>('session-status');
  readonly urlRow = byId<HTMLElement>('visitor-url-row');
  readonly url = byId<HTMLElement>('visitor-url');
  readonly leave = byId<HTMLButtonElement>('leave');
  readonly area = byId<HTMLElement>('mirror-area');
  readonly waiting = byId<HTMLElement>('waiting');
  readonly waitingText = byId<HTMLElement>('waiting-text');
  readonly stage = byId<HTMLElement>('mirror-stage');
  /** Where the view controls go (zoom, fit, full screen, chat). */
  readonly viewControls = byId<HTMLElement>('view-controls');
  readonly langSelect = byId<HTMLSelectElement>('lang');
  /** Over the mirror while it is not live (down, or catching up after a drop). */
  readonly paused: HTMLElement = pausedNotice(this.area);

  show(view: View): void {
    for (const [name, node] of Object.entries(this.views)) node.hidden = name !== view;
    document.body.dataset.view = view;
  }

  /** A message from the server (no key: not relabelled by a language switch). */
  signedOutWith(message: string): void {
    delete this.signedOutMessage.dataset.i18n;
    this.signedOutMessage.textContent = message;
  }

  signedIn(name: string): void {
    this.agentName.textContent = name;
    this.agent.hidden = false;
  }

  joinForm({ notice = '', focus = true }: { notice?: string; focus?: boolean } = {}): void {
    this.notice.textContent = notice;
    this.joinError.textContent = '';
    this.pin.value = '';
    this.pin.removeAttribute('aria-invalid');
    this.busy(false);
    this.show('join');
    if (focus) this.pin.focus();
  }

  joinFailed(message: string): void {
    this.busy(false);
    this.joinError.textContent = message;
    this.pin.setAttribute('aria-invalid', 'true');
    this.pin.focus();
    this.pin.select();
  }

  busy(on: boolean): void {
    this.joinButton.disabled = on;
    this.form.setAttribute('aria-busy', String(on));
  }

  /** The session view; `waiting` shows the placeholder text instead of the mirror. */
  session(status: string, waiting: string | null): void {
    this.show('session');
    this.status.textContent = status;
    this.status.title = status; // cut short when the bar is narrow
    this.waiting.hidden = waiting === null;
    if (waiting !== null) this.waitingText.textContent = waiting;
  }

  /** Pause the mirror under `notice` (dimmed, takes no input), or show it live (null). */
  pause(notice: string | null): void {
    this.area.classList.toggle('paused', notice !== null);
    const text = notice ?? '';
    const p = this.paused.querySelector('p');
    if (p && p.textContent !== text) p.textContent = text;
    this.paused.hidden = notice === null;
  }

  visitorUrl(href: string | null): void {
    this.url.textContent = href ?? '';
    this.url.title = href ?? '';
    this.urlRow.hidden = !href;
  }
}

/** The notice over a paused mirror: a status (announced), covering the mirror area. */
function pausedNotice(area: HTMLElement): HTMLElement {
  const doc = area.ownerDocument;
  const box = doc.createElement('div');
  box.className = 'mirror-paused';
  box.setAttribute('role', 'status');
  box.hidden = true;
  const spinner = doc.createElement('span');
  spinner.className = 'spinner';
  spinner.setAttribute('aria-hidden', 'true');
  box.append(spinner, doc.createElement('p'));
  area.append(box);
  return box;
}
