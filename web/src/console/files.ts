/**
 * Documents in the console: "Offer a file" (a labelled file input and a button) uploads
 * the chosen file to `POST /api/v1/sessions/{id}/files` (same origin, agent cookie); the
 * server offers it to the visitor. Each offer is listed with its state (offered, accepted,
 * declined) from the visitor's `offer_answer`; a refused file (413, 415, …) shows the
 * server's message in an alert.
 */
import { type OfferedFile, parseApiError, parseOfferedFile } from '../protocol';
import { translator } from '../i18n';
import { type Key, attr, label as labelled, t } from './i18n';

export type OfferState = 'offered' | 'accepted' | 'declined';

const OFFER_STATE_KEY: Readonly<Record<OfferState, Key>> = {
  offered: 'offerOffered',
  accepted: 'offerAccepted',
  declined: 'offerDeclined',
};

export type UploadResult =
  | { readonly ok: true; readonly file: OfferedFile }
  | { readonly ok: false; readonly message: string };

/** Upload `file` for the session; never throws. */
export async function uploadFile(sessionId: string, file: Blob, name: string): Promise<UploadResult> {
  const form = new FormData();
  form.append('file', file, name);
  let response: Response;
  try {
    response = await fetch(`/api/v1/sessions/${encodeURIComponent(sessionId)}/files`, {
      method: 'POST',
      credentials: 'include',
      cache: 'no-store',
      body: form,
    });
  } catch {
    return { ok: false, message: t('offerUnreachable') };
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = parseApiError(body);
    return {
      ok: false,
      message: error?.message || t('offerAnswered', { status: response.status }),
    };
  }
  try {
    return { ok: true, file: parseOfferedFile(body) };
  } catch {
    return { ok: false, message: t('offerNotUnderstood') };
  }
}

const size = translator('en').size;

export class FileOffers {
  readonly root: HTMLElement;
  readonly input: HTMLInputElement;
  readonly button: HTMLButtonElement;
  readonly list: HTMLUListElement;
  readonly error: HTMLElement;
  private sessionId: string | null = null;
  private busy = false;
  private readonly items = new Map<string, { li: HTMLLIElement; state: HTMLElement }>();

  constructor(
    private readonly doc: Document,
    private readonly upload: typeof uploadFile = uploadFile,
  ) {
    const root = doc.createElement('div');
    root.className = 'tool-group file-offers';
    root.setAttribute('role', 'group');
    attr(root, 'aria-label', 'documents');
    const label = doc.createElement('label');
    label.htmlFor = 'offer-file';
    label.className = 'offer-label';
    labelled(label, 'fileToOffer');
    this.input = doc.createElement('input');
    this.input.type = 'file';
    this.input.id = 'offer-file';
    this.input.className = 'offer-input';
    this.button = doc.createElement('button');
    this.button.type = 'button';
    this.button.className = 'button tool';
    labelled(this.button, 'offerFile');
    this.button.addEventListener('click', () => void this.send());
    this.error = doc.createElement('p');
    this.error.className = 'offer-error';
    this.error.setAttribute('role', 'alert');
    this.list = doc.createElement('ul');
    this.list.className = 'offer-list';
    attr(this.list, 'aria-label', 'filesOffered');
    this.list.setAttribute('aria-live', 'polite');
    this.list.hidden = true;
    root.append(label, this.input, this.button, this.error, this.list);
    this.root = root;
  }

  /** The session files go to (null: none). */
  setSession(sessionId: string | null): void {
    this.sessionId = sessionId;
  }

  /** Send the chosen file. */
  async send(): Promise<void> {
    if (this.busy) return;
    const file = this.input.files?.[0];
    if (!file) {
      this.error.textContent = t('chooseFileFirst');
      this.input.focus();
      return;
    }
    const sessionId = this.sessionId;
    if (!sessionId) {
      this.error.textContent = t('noSession');
      return;
    }
    this.busy = true;
    this.button.disabled = true;
    this.button.setAttribute('aria-busy', 'true');
    this.error.textContent = '';
    try {
      const result = await this.upload(sessionId, file, file.name);
      if (this.sessionId !== sessionId) return;
      if (!result.ok) {
        this.error.textContent = result.message;
        return;
      }
      this.input.value = '';
      this.add(result.file);
    } finally {
      this.busy = false;
      this.button.disabled = false;
      this.button.removeAttribute('aria-busy');
    }
  }

  /** List an offered file (state: offered). */
  add(file: OfferedFile): void {
    if (this.items.has(file.file_id)) return;
    const li = this.doc.createElement('li');
    li.className = 'offer-item';
    li.dataset.fileId = file.file_id;
    const name = this.doc.createElement('span');
    name.className = 'offer-name';
    name.textContent = `${file.name} (${size(file.size)})`;
    const state = this.doc.createElement('span');
    state.className = 'offer-state';
    li.append(name, ': ', state);
    this.list.append(li);
    this.list.hidden = false;
    this.items.set(file.file_id, { li, state });
    this.setState(file.file_id, 'offered');
  }

  /** The visitor's answer (`offer_answer`). */
  answer(fileId: string, accept: boolean): void {
    this.setState(fileId, accept ? 'accepted' : 'declined');
  }

  stateOf(fileId: string): OfferState | null {
    return (this.items.get(fileId)?.li.dataset.state as OfferState | undefined) ?? null;
  }

  private setState(fileId: string, state: OfferState): void {
    const item = this.items.get(fileId);
    if (!item) return;
    item.li.dataset.state = state;
    labelled(item.state, OFFER_STATE_KEY[state]);
  }

  /** The session is over. */
  reset(): void {
    this.sessionId = null;
    this.items.clear();
    this.list.replaceChildren();
    this.list.hidden = true;
    this.error.textContent = '';
    this.input.value = '';
  }
}
