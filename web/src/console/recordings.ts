/**
 * The console's Recordings view: a "Recordings" button in the top bar opens the list
 * of recordings this console user may replay (supervisors: their team's; admins: all;
 * agents are told they may not), each with "Play" and an export link; Play opens the
 * player (./replay-player.ts). Every replay and export is audited by the server.
 */
import './recordings.css';
import { type RecordingInfo, type ReplayData, mountPlayer } from './replay-player';
import { attr, label, t } from './i18n';

interface ApiErrorBody {
  readonly error?: { readonly message?: string };
}

async function getJson(url: string): Promise<{ ok: boolean; status: number; body: unknown }> {
  const response = await fetch(url, { credentials: 'include', cache: 'no-store' });
  const body: unknown = await response.json().catch(() => null);
  return { ok: response.ok, status: response.status, body };
}

function message(body: unknown, fallback: string): string {
  return (body as ApiErrorBody | null)?.error?.message || fallback;
}

function when(seconds: number): string {
  return new Date(seconds * 1000).toLocaleString();
}

function duration(rec: RecordingInfo): string {
  if (rec.ended_at === null) return t('recInProgress');
  const s = Math.max(0, Math.round(rec.ended_at - rec.started_at));
  return t('recDuration', { m: Math.floor(s / 60), s: s % 60 });
}

export class RecordingsView {
  private readonly section: HTMLElement;
  private readonly list: HTMLElement;
  private readonly status: HTMLElement;
  private readonly playerHost: HTMLElement;
  private teardown: (() => void) | null = null;
  private hidden: HTMLElement[] = [];

  constructor(private readonly doc: Document) {
    this.section = doc.createElement('section');
    this.section.id = 'view-recordings';
    this.section.className = 'panel recordings';
    this.section.setAttribute('aria-labelledby', 'recordings-title');
    this.section.hidden = true;
    const head = doc.createElement('div');
    head.className = 'recordings-head';
    const title = doc.createElement('h1');
    title.id = 'recordings-title';
    label(title, 'recordings');
    const close = doc.createElement('button');
    close.type = 'button';
    close.className = 'button';
    label(close, 'recClose');
    close.addEventListener('click', () => this.close());
    head.append(title, close);
    this.status = doc.createElement('p');
    this.status.className = 'notice';
    this.status.setAttribute('role', 'status');
    this.list = doc.createElement('ul');
    this.list.className = 'recordings-list';
    attr(this.list, 'aria-label', 'recList');
    this.playerHost = doc.createElement('div');
    this.playerHost.className = 'recordings-player';
    this.section.append(head, this.status, this.list, this.playerHost);
  }

  /** Adds the "Recordings" button to the top bar and the view to the page. */
  mount(): void {
    const main = this.doc.getElementById('main');
    const bar = this.doc.getElementById('agent');
    if (!main || !bar) return;
    main.append(this.section);
    const open = this.doc.createElement('button');
    open.type = 'button';
    open.className = 'button recordings-open';
    label(open, 'recordings');
    open.addEventListener('click', () => void this.open());
    bar.prepend(open);
    // Agents may not replay (the server says 403): the button is for supervisors and admins.
    open.hidden = true;
    void getJson('/api/v1/me')
      .then((got) => {
        const role = (got.body as { agent?: { role?: unknown } } | null)?.agent?.role;
        open.hidden = !(role === 'supervisor' || role === 'admin');
      })
      .catch(() => undefined);
  }

  async open(): Promise<void> {
    const main = this.doc.getElementById('main');
    if (main && this.section.hidden) {
      this.hidden = [...main.children].filter(
        (c): c is HTMLElement => c instanceof HTMLElement && c !== this.section && !c.hidden,
      );
      for (const c of this.hidden) c.hidden = true;
    }
    this.section.hidden = false;
    this.stopPlayer();
    this.status.textContent = t('recLoading');
    this.list.replaceChildren();
    let got: { ok: boolean; status: number; body: unknown };
    try {
      got = await getJson('/api/v1/recordings');
    } catch {
      this.status.textContent = t('recUnreachable');
      return;
    }
    if (!got.ok) {
      this.status.textContent = message(got.body, t('recAnswered', { status: got.status }));
      return;
    }
    const recordings = ((got.body as { recordings?: RecordingInfo[] } | null)?.recordings ?? []);
    this.status.textContent = recordings.length ? t('recCount', { n: recordings.length }) : t('recNone');
    for (const rec of recordings) this.list.append(this.item(rec));
  }

  private item(rec: RecordingInfo): HTMLLIElement {
    const li = this.doc.createElement('li');
    li.className = 'recording-item';
    const what = this.doc.createElement('span');
    what.className = 'recording-what';
    const agent = rec.agent_name ?? t('recNoAgent');
    what.textContent = `${when(rec.started_at)} · ${agent} · ${rec.site ?? t('recNoSite')} · ${duration(rec)}`;
    const play = this.doc.createElement('button');
    play.type = 'button';
    play.className = 'button primary';
    label(play, 'recPlay');
    play.setAttribute('aria-describedby', `rec-${rec.id}`);
    what.id = `rec-${rec.id}`;
    play.addEventListener('click', () => void this.play(rec));
    const exported = this.doc.createElement('a');
    exported.className = 'button';
    exported.href = `/api/v1/recordings/${encodeURIComponent(rec.id)}/export`;
    label(exported, 'recExport');
    exported.setAttribute('download', '');
    li.append(what, play, exported);
    return li;
  }

  async play(rec: RecordingInfo): Promise<void> {
    this.stopPlayer();
    this.status.textContent = t('recOpening');
    let got: { ok: boolean; status: number; body: unknown };
    try {
      got = await getJson(`/api/v1/recordings/${encodeURIComponent(rec.id)}`);
    } catch {
      this.status.textContent = t('recUnreachable');
      return;
    }
    if (!got.ok) {
      this.status.textContent = message(got.body, t('recAnswered', { status: got.status }));
      return;
    }
    this.status.textContent = t('recPlaying', { when: when(rec.started_at) });
    this.teardown = mountPlayer(this.playerHost, got.body as ReplayData);
  }

  private stopPlayer(): void {
    this.teardown?.();
    this.teardown = null;
  }

  close(): void {
    this.stopPlayer();
    this.section.hidden = true;
    for (const c of this.hidden) c.hidden = false;
    this.hidden = [];
  }
}

export function mountRecordings(doc: Document = document): RecordingsView {
  const view = new RecordingsView(doc);
  view.mount();
  return view;
}
