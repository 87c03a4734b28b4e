/**
 * A small local field over an element of the mirror, for typing into the visitor's
 * fields while in control: each change goes out as an `input` act with the full value;
 * Enter, Tab and Escape close it (Enter and Tab are also sent as keys).
 */
import type { ActKind, Target } from '../protocol';
import { FILE_ATTRIBUTE } from './mirror';
import type { LiveMirror } from './mirror';
import { attr } from './i18n';

const TEXT_TYPES = new Set(['text', 'search', 'email', 'url', 'tel', 'number', 'password', '', 'date', 'time', 'month', 'week', 'datetime-local']);

/** How the agent edits an element of the mirror: a text field, a text area, a list, or not at all. Pure on the element. */
export function editorKind(el: Element): 'input' | 'textarea' | 'select' | null {
  const tag = el.tagName.toLowerCase();
  if (el.hasAttribute(FILE_ATTRIBUTE)) return null; // a file input showing the chosen file's name
  if (tag === 'input') return TEXT_TYPES.has((el.getAttribute('type') ?? '').toLowerCase()) ? 'input' : null;
  if (tag === 'textarea') return 'textarea';
  if (tag === 'select') return 'select';
  const ce = el.getAttribute('contenteditable');
  if (ce === '' || ce === 'true' || ce === 'plaintext-only') return 'textarea';
  return null;
}

export type Act = (kind: ActKind, target: Target | null, value?: string) => void;

export class MirrorEditor {
  private editor: { id: number; node: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement } | null = null;

  constructor(
    private readonly doc: Document,
    private readonly act: Act,
  ) {}

  get node(): HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement | null {
    return this.editor?.node ?? null;
  }

  /** A local field over the mirror's element `el` (rrweb id `id`, box in the visitor's pixels). */
  open(mirror: LiveMirror, id: number, el: Element, box: DOMRect): void {
    const kind = editorKind(el);
    if (!kind) return;
    const doc = this.doc;
    let node: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;
    if (kind === 'select') {
      const select = doc.createElement('select');
      const source = el as HTMLSelectElement;
      for (const option of Array.from(source.options ?? [])) {
        const o = doc.createElement('option');
        o.value = option.value;
        o.textContent = option.textContent;
        select.append(o);
      }
      select.value = source.value;
      select.size = Math.min(8, Math.max(2, select.options.length));
      node = select;
    } else {
      node = doc.createElement(kind);
      const tag = el.tagName.toLowerCase();
      node.value = tag === 'input' || tag === 'textarea' ? ((el as HTMLInputElement).value ?? '') : (el.textContent ?? '');
      if (node instanceof HTMLInputElement) {
        const type = (el.getAttribute('type') ?? 'text').toLowerCase();
        node.type = type === 'password' ? 'password' : 'text';
      }
    }
    node.className = 'mirror-editor';
    attr(node, 'aria-label', 'typeInto');
    const scale = mirror.currentScale;
    node.style.left = `${box.left * scale}px`;
    node.style.top = `${box.top * scale}px`;
    node.style.width = `${Math.max(40, box.width * scale)}px`;
    if (kind !== 'select') node.style.height = `${Math.max(18, box.height * scale)}px`;
    const fontSize = parseFloat(el.ownerDocument.defaultView?.getComputedStyle(el).fontSize ?? '16') || 16;
    node.style.fontSize = `${Math.max(9, fontSize * scale)}px`;
    const target: Target = { id, x: 0.5, y: 0.5 };
    const sendValue = (): void => this.act('input', target, node.value);
    node.addEventListener(kind === 'select' ? 'change' : 'input', sendValue);
    node.addEventListener('keydown', (e) => {
      const k = (e as KeyboardEvent).key;
      if (k === 'Escape') {
        e.preventDefault();
        this.close();
        mirror.layer.focus({ preventScroll: true });
      } else if (k === 'Enter' && kind !== 'textarea') {
        e.preventDefault();
        if (kind === 'select') sendValue();
        this.act('key', target, 'Enter');
        this.close();
        mirror.layer.focus({ preventScroll: true });
      } else if (k === 'Tab') {
        e.preventDefault();
        this.act('key', target, 'Tab');
        this.close();
        mirror.layer.focus({ preventScroll: true });
      }
    });
    node.addEventListener('blur', () => {
      if (this.editor?.node === node) setTimeout(() => this.editor?.node === node && this.close(), 0);
    });
    node.addEventListener('pointerdown', (e) => e.stopPropagation());
    mirror.layer.append(node);
    this.editor = { id, node };
    node.focus({ preventScroll: true });
    if (node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement) {
      const end = node.value.length;
      node.setSelectionRange(end, end);
    }
  }

  close(): void {
    const editor = this.editor;
    this.editor = null;
    editor?.node.remove();
  }
}
