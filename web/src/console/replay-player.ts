/**
 * The recording player: rrweb's Replayer over a recording's page data, with play,
 * pause, speed, skipping of inactivity, a timeline with markers (page loads, control,
 * agent acts, refusals, chat), the chat transcript and the session's audit entries.
 * Used by the console's Recordings view (./recordings.ts) and by an exported file
 * (./replay-entry.ts), which carries the same data.
 */
import { t } from './i18n';
import { Replayer } from 'rrweb';
// Masked fields and canvases look as they did in the agent's mirror.
import { MASK_RULES, maskPlugin } from './mirror';

type ReplayEvent = Extract<Parameters<Replayer['addEvent']>[0], { timestamp: number }>;

export interface RecordingInfo {
  readonly id: string;
  readonly session_id: string;
  readonly site: string | null;
  readonly started_at: number;
  readonly ended_at: number | null;
  readonly agent_name: string | null;
  readonly agent_team: string | null;
  readonly chunks: number;
  readonly lost: number;
}

export interface RecordEntry {
  readonly at: number;
  readonly to: string;
  readonly frame: Record<string, unknown>;
}

export interface AuditRow {
  readonly at: number;
  readonly time: string;
  readonly kind: string;
  readonly actor: string;
  readonly outcome: string | null;
  readonly detail: string;
}

export interface ReplayData {
  readonly recording: RecordingInfo;
  readonly records: readonly RecordEntry[];
  readonly audit: readonly AuditRow[];
}

export type MarkerKind = 'page' | 'control' | 'act' | 'refusal' | 'chat';

export interface Marker {
  readonly at: number; // ms since the epoch, on the recording's clock
  readonly kind: MarkerKind;
  readonly label: string;
}

export interface ChatLine {
  readonly at: number;
  readonly name: string;
  readonly text: string;
}

const META = 4; // rrweb EventType.Meta: a page (re)load

/**
 * The page data as rrweb events, stamped with the time the server relayed them (the
 * visitor's own clock may be off): within a batch the events keep their spacing.
 */
export function replayEvents(records: readonly RecordEntry[]): ReplayEvent[] {
  const events: ReplayEvent[] = [];
  let last = -Infinity;
  for (const record of records) {
    if (record.to !== 'agent' || record.frame.t !== 'events') continue;
    const batch = record.frame.events;
    if (!Array.isArray(batch) || batch.length === 0) continue;
    const stamps = batch.map((e) => Number((e as { timestamp?: unknown }).timestamp) || 0);
    const top = Math.max(...stamps);
    batch.forEach((event, i) => {
      const at = Math.max(last, record.at * 1000 - (top - (stamps[i] ?? top)));
      last = at;
      events.push({ ...(event as object), timestamp: at } as ReplayEvent);
    });
  }
  return events;
}

/** What the timeline marks, in order. */
export function markers(records: readonly RecordEntry[]): Marker[] {
  const found: Marker[] = [];
  for (const { at, to, frame } of records) {
    const ms = at * 1000;
    if (to === 'agent' && frame.t === 'events' && Array.isArray(frame.events)) {
      for (const e of frame.events as { type?: unknown; data?: { href?: unknown } }[]) {
        if (e.type === META) {
          const href = typeof e.data?.href === 'string' ? e.data.href : '';
          found.push({ at: ms, kind: 'page', label: t('recMarkPage', { path: pathOf(href) }) });
        }
      }
    } else if (to === 'agent' && frame.t === 'control') {
      const state = String(frame.state);
      const key = state === 'control' ? 'recMarkGranted' : state === 'requested' ? 'recMarkRequested' : 'recMarkRevoked';
      found.push({ at: ms, kind: 'control', label: t(key) });
    } else if (to === 'visitor' && frame.t === 'act') {
      found.push({ at: ms, kind: 'act', label: t('recMarkAct', { kind: String(frame.kind) }) });
    } else if (to === 'agent' && frame.t === 'act_result' && frame.ok === false) {
      found.push({ at: ms, kind: 'refusal', label: t('recMarkRefused', { reason: String(frame.reason ?? 'refused') }) });
    } else if (to === 'agent' && frame.t === 'chat') {
      found.push({ at: ms, kind: 'chat', label: t('recMarkChat', { name: String(frame.name) }) });
    }
  }
  return found;
}

export function chatLines(records: readonly RecordEntry[]): ChatLine[] {
  return records
    .filter((r) => r.to === 'agent' && r.frame.t === 'chat')
    .map((r) => ({ at: r.at * 1000, name: String(r.frame.name), text: String(r.frame.text) }));
}

function pathOf(href: string): string {
  try {
    return new URL(href).pathname;
  } catch {
    return href.slice(0, 80);
  }
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  text = '',
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) if (value !== undefined) node.setAttribute(key, value);
  if (text) node.textContent = text;
  return node;
}

function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** A player for `data` inside `host` (emptied first). Returns a function that tears it down. */
export function mountPlayer(host: HTMLElement, data: ReplayData): () => void {
  host.replaceChildren();
  const events = replayEvents(data.records);
  const player = el('div', { class: 'rec-player' });
  host.append(player);
  if (events.length < 2) {
    player.append(el('p', { class: 'rec-empty', role: 'status' }, t('recNoPage')));
    return () => host.replaceChildren();
  }
  const start = events[0]?.timestamp ?? 0;
  const total = (events[events.length - 1]?.timestamp ?? start) - start;

  const controls = el('div', { class: 'rec-controls', role: 'group', 'aria-label': t('recPlayback') });
  const toggle = el('button', { type: 'button', class: 'button' }, t('recPause'));
  const speedLabel = el('label', { class: 'rec-speed' }, `${t('recSpeed')} `);
  const speed = el('select');
  for (const s of ['1', '2', '4', '8']) speed.append(el('option', { value: s }, `${s}×`));
  speedLabel.append(speed);
  const skipLabel = el('label', { class: 'rec-skip' });
  const skip = el('input', { type: 'checkbox', checked: '' });
  skipLabel.append(skip, document.createTextNode(` ${t('recSkip')}`));
  const time = el('span', { class: 'rec-time', 'aria-live': 'off' }, `0:00 / ${clock(total)}`);
  controls.append(toggle, speedLabel, skipLabel, time);

  const timeline = el('div', { class: 'rec-timeline' });
  const position = el('input', {
    type: 'range',
    min: '0',
    max: String(Math.max(1, Math.round(total))),
    value: '0',
    'aria-label': t('recPosition'),
  });
  const marks = el('ol', { class: 'rec-markers', 'aria-label': t('recMarkers') });
  for (const mark of markers(data.records)) {
    const offset = Math.min(Math.max(mark.at - start, 0), total);
    const item = el('li', { class: `rec-marker rec-marker-${mark.kind}` });
    item.style.left = `${total > 0 ? (offset / total) * 100 : 0}%`;
    const jump = el('button', { type: 'button', title: mark.label, 'aria-label': t('recMarkAt', { label: mark.label, at: clock(offset) }) });
    jump.addEventListener('click', () => seek(offset));
    item.append(jump);
    marks.append(item);
  }
  timeline.append(position, marks);

  const stage = el('div', { class: 'rec-stage', role: 'region', 'aria-label': t('recScreen') });
  const side = el('div', { class: 'rec-side' });
  const chat = el('section', { class: 'rec-chat', 'aria-label': t('recChatTranscript') });
  chat.append(el('h3', {}, t('chatTitle')));
  const lines = chatLines(data.records);
  const chatList = el('ol');
  for (const line of lines) {
    const li = el('li');
    li.append(el('span', { class: 'rec-when' }, clock(line.at - start)), el('strong', {}, `${line.name}: `));
    li.append(document.createTextNode(line.text));
    chatList.append(li);
  }
  chat.append(lines.length ? chatList : el('p', { class: 'muted' }, t('recNoChat')));
  const audit = el('section', { class: 'rec-audit', 'aria-label': t('recAuditEntries') });
  audit.append(el('h3', {}, t('recAudit')));
  const auditList = el('ol');
  for (const entry of data.audit) {
    const li = el('li');
    li.append(el('span', { class: 'rec-when' }, entry.time.slice(11, 19)), el('code', {}, entry.kind), document.createTextNode(` ${entry.actor}: ${entry.detail}`));
    auditList.append(li);
  }
  audit.append(data.audit.length ? auditList : el('p', { class: 'muted' }, t('recNoAudit')));
  side.append(chat, audit);
  const body = el('div', { class: 'rec-body' });
  body.append(stage, side);
  if (data.recording.lost > 0) {
    player.append(el('p', { class: 'rec-lost', role: 'note' }, `${data.recording.lost} frames of this session could not be kept.`));
  }
  player.append(controls, timeline, body);

  const replayer = new Replayer(events, {
    root: stage,
    skipInactive: true,
    showWarning: false,
    mouseTail: false,
    insertStyleRules: MASK_RULES,
    plugins: [maskPlugin],
    triggerFocus: false,
  });
  replayer.iframe.setAttribute('title', t('recPage'));
  // The recorded page at the visitor's size, scaled down to the stage's width.
  let size = { width: 0, height: 0 };
  const fit = (): void => {
    const wrapper = stage.querySelector<HTMLElement>('.replayer-wrapper');
    if (!wrapper || size.width <= 0) return;
    const scale = Math.min(1, stage.clientWidth / size.width);
    wrapper.style.transform = `scale(${scale})`;
    stage.style.height = `${Math.ceil(size.height * scale)}px`;
  };
  replayer.on('resize', (d) => {
    const dims = d as { width?: number; height?: number };
    size = { width: Number(dims.width) || 0, height: Number(dims.height) || 0 };
    fit();
  });
  const observer = typeof ResizeObserver === 'function' ? new ResizeObserver(fit) : null;
  observer?.observe(stage);
  let playing = true;
  let timer = 0;
  const show = (): void => {
    const now = Math.min(replayer.getCurrentTime(), total);
    position.value = String(Math.round(now));
    time.textContent = `${clock(now)} / ${clock(total)}`;
  };
  const setPlaying = (on: boolean, at?: number): void => {
    playing = on;
    if (on) replayer.play(at ?? replayer.getCurrentTime());
    else replayer.pause(at);
    toggle.textContent = on ? t('recPause') : t('recContinue');
    show();
  };
  function seek(offset: number): void {
    setPlaying(playing, offset);
    if (!playing) replayer.pause(offset);
    show();
  }
  toggle.addEventListener('click', () => setPlaying(!playing));
  speed.addEventListener('change', () => replayer.setConfig({ speed: Number(speed.value) }));
  skip.addEventListener('change', () => replayer.setConfig({ skipInactive: skip.checked }));
  position.addEventListener('input', () => seek(Number(position.value)));
  replayer.on('finish', () => {
    playing = false;
    toggle.textContent = t('recContinue');
    show();
  });
  timer = window.setInterval(show, 250);
  replayer.play();
  return () => {
    observer?.disconnect();
    window.clearInterval(timer);
    replayer.pause();
    replayer.destroy();
    host.replaceChildren();
  };
}
