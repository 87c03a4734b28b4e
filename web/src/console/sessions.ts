/**
 * The console's Sessions list (its accessible name is "Sessions"): the live and waiting
 * sessions the signed-in user may see, theirs first, kept up to date by the server's
 * event stream (GET /api/v1/console/sessions/stream) without a reload. Each row offers
 * what the user may do: Watch and Take over (supervisors), Transfer (the session's
 * agent), Accept and Decline (a transfer offered to them). The list itself is pure
 * data in, DOM out (`renderRows`); the stream and the REST calls are thin.
 */

import { type Key, label, t } from './i18n';

export interface SessionRow {
  readonly session_id: string;
  readonly state: 'waiting' | 'pending' | 'active';
  readonly agent: string | null;
  readonly team: string | null;
  readonly mine: boolean;
  readonly site: string | null;
  readonly page: string | null;
  readonly browser: string | null;
  readonly viewport: string | null;
  readonly started_at: number;
  readonly duration_seconds: number;
  readonly control: 'view' | 'requested' | 'control';
  readonly watchers: readonly string[];
  readonly transfer: { readonly to: string; readonly from: string; readonly to_me: boolean } | null;
  readonly can_watch: boolean;
  readonly watching: boolean;
  readonly can_take_over: boolean;
  readonly can_transfer: boolean;
  readonly can_accept: boolean;
}

export type RowAction = 'watch' | 'take-over' | 'transfer' | 'accept' | 'decline';

export interface ListHandlers {
  act(action: RowAction, row: SessionRow, button: HTMLButtonElement): void;
}

const CONTROL_TEXT: Record<SessionRow['control'], Key> = {
  view: 'ctlView',
  requested: 'ctlRequested',
  control: 'ctlControl',
};

/** "4 min", "1 h 05 min", "35 s": how long a session has been going. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return t('durSeconds', { n: s });
  const m = Math.floor(s / 60);
  if (m < 60) return t('durMinutes', { n: m });
  return t('durHours', { h: Math.floor(m / 60), m: String(m % 60).padStart(2, '0') });
}

/** Parse the server's list; rows that do not have the expected shape are dropped. */
export function parseRows(body: unknown): SessionRow[] {
  const list = (body as { sessions?: unknown } | null)?.sessions;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (r): r is SessionRow =>
      typeof r === 'object' &&
      r !== null &&
      typeof (r as SessionRow).session_id === 'string' &&
      typeof (r as SessionRow).state === 'string' &&
      typeof (r as SessionRow).duration_seconds === 'number',
  );
}

const HEADERS: readonly Key[] = [
  'colAgent',
  'colSite',
  'colDuration',
  'colBrowser',
  'colScreen',
  'colControl',
  'colWatching',
  'colActions',
];

export class SessionsList {
  readonly root: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly body: HTMLTableSectionElement;
  private readonly empty: HTMLElement;
  private readonly live: HTMLElement;
  private rows: SessionRow[] = [];
  private source: EventSource | null = null;
  private offered = new Set<string>();

  constructor(
    private readonly doc: Document,
    private readonly handlers: ListHandlers,
  ) {
    this.root = doc.createElement('section');
    this.root.className = 'sessions panel';
    this.root.setAttribute('aria-labelledby', 'sessions-title');
    const title = doc.createElement('h2');
    title.id = 'sessions-title';
    label(title, 'sessions');
    this.table = doc.createElement('table');
    this.table.className = 'sessions-table';
    const caption = doc.createElement('caption');
    label(caption, 'sessions');
    caption.className = 'visually-hidden';
    const head = doc.createElement('thead');
    const tr = doc.createElement('tr');
    for (const text of HEADERS) {
      const th = doc.createElement('th');
      th.scope = 'col';
      label(th, text);
      tr.append(th);
    }
    head.append(tr);
    this.body = doc.createElement('tbody');
    this.table.append(caption, head, this.body);
    this.empty = doc.createElement('p');
    this.empty.className = 'muted sessions-empty';
    label(this.empty, 'noSessions');
    this.live = doc.createElement('p');
    this.live.className = 'visually-hidden';
    this.live.setAttribute('role', 'status');
    this.root.append(title, this.table, this.empty, this.live);
    this.root.hidden = true; // shown with the PIN form (start), not in a session
    this.render([]);
  }

  /** Follow the server's stream; EventSource reconnects by itself after a drop. */
  start(): void {
    this.root.hidden = false;
    if (this.source) return;
    const source = new EventSource('/api/v1/console/sessions/stream', { withCredentials: true });
    source.addEventListener('sessions', (event) => {
      try {
        this.render(parseRows(JSON.parse((event as MessageEvent<string>).data)));
      } catch {
        /* a bad event changes nothing */
      }
    });
    source.addEventListener('signed_out', () => {
      this.stop();
      location.assign('/agent/login');
    });
    this.source = source;
  }

  /** Stop following (the user is in a session): the rows go, the next start refills them. */
  stop(): void {
    this.source?.close();
    this.source = null;
    this.root.hidden = true;
    this.render([]);
  }

  render(rows: SessionRow[]): void {
    this.rows = rows;
    const focused = this.doc.activeElement;
    const focusKey = focused instanceof HTMLElement && this.body.contains(focused) ? focused.dataset.key : undefined;
    this.body.replaceChildren(...rows.map((r) => this.row(r)));
    this.empty.hidden = rows.length > 0;
    this.table.hidden = rows.length === 0;
    if (focusKey) this.body.querySelector<HTMLElement>(`[data-key="${CSS.escape(focusKey)}"]`)?.focus();
    // Announce a transfer offered to this user once (a screen reader user would miss it).
    for (const r of rows) {
      if (r.can_accept && r.transfer && !this.offered.has(r.session_id)) {
        this.offered.add(r.session_id);
        this.live.textContent = t('offerAnnounce', { name: r.transfer.from });
      }
    }
  }

  /** The language changed: the rows say their words again (the headers are labelled). */
  relabel(): void {
    this.render(this.rows);
  }

  get current(): readonly SessionRow[] {
    return this.rows;
  }

  private row(r: SessionRow): HTMLTableRowElement {
    const doc = this.doc;
    const tr = doc.createElement('tr');
    tr.dataset.session = r.session_id;
    if (r.mine) tr.classList.add('mine');
    const agent = r.state === 'waiting' ? t('waitingForAgent') : (r.agent ?? '—') + (r.mine ? ` ${t('youMark')}` : '');
    const where = [r.site ?? '—', r.page ?? ''].join('') || '—';
    const cells = [
      agent,
      where,
      duration(r.duration_seconds),
      r.browser ?? '—',
      r.viewport ?? '—',
      r.state === 'active' ? t(CONTROL_TEXT[r.control]) : r.state === 'pending' ? t('askingVisitor') : '—',
      r.watchers.length ? r.watchers.join(', ') : '—',
    ];
    for (const text of cells) {
      const td = doc.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    const actions = doc.createElement('td');
    actions.className = 'session-actions';
    const add = (key: Key, action: RowAction, kind = 'secondary'): void => {
      const b = label(doc.createElement('button'), key);
      b.type = 'button';
      b.className = `button ${kind}`;
      b.dataset.key = `${r.session_id}:${action}`;
      b.addEventListener('click', () => this.handlers.act(action, r, b));
      actions.append(b);
    };
    if (r.transfer?.to_me && r.can_accept) {
      const note = doc.createElement('span');
      note.className = 'transfer-offer';
      note.textContent = t('fromAgent', { name: r.transfer.from });
      actions.append(note);
      add('accept', 'accept', 'primary');
      add('decline', 'decline');
    } else if (r.transfer && r.mine) {
      const note = doc.createElement('span');
      note.className = 'transfer-offer';
      note.textContent = t('offeredTo', { name: r.transfer.to });
      actions.append(note);
    }
    if (r.can_watch) add('watch', 'watch');
    if (r.can_take_over) add('takeOver', 'take-over');
    if (r.can_transfer) add('transfer', 'transfer');
    tr.append(actions);
    return tr;
  }
}
