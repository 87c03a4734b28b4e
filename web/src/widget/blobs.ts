/**
 * Images a page shows from `blob:` URLs (fetched by script, shown with
 * URL.createObjectURL), for the agent's mirror: a blob: URL means something only in
 * the visitor's page, so the mirror could never load it. The recorder sends such an
 * image's `src` as a data: URL instead (docs/masking.md, "Images from blob: URLs").
 *
 * In an outgoing event, an `<img>`'s `src` that is a blob: URL is replaced by its data
 * URL when it is known, else by "" (nothing to load) while the blob is read: fetched
 * from the page (blob: URLs are the page's own), or, when that fails or does not answer
 * (revoked, a page policy), drawn from the loaded image. Then an attribute mutation sets the data URL,
 * if the image still shows that blob. Only raster images (`image/*` but SVG, whose
 * text the masking rules could not read) up to `maxBytes` go; a larger or other one
 * stays empty in the mirror. A masked image is never seen here: rrweb records a blocked
 * element without its attributes.
 */
import type { RecordedEvent } from '../protocol';

export const BLOB_MAX_BYTES = 1_500_000;
/** How long a fetch of the blob may take once the image is loaded, before it is drawn instead. */
const FETCH_WAIT_MS = 1000;

function wait(win: Window, ms: number): Promise<void> {
  return new Promise((resolve) => {
    try {
      win.setTimeout(resolve, ms);
    } catch {
      resolve();
    }
  });
}

type Lookup = (id: number) => Node | null;

function isImage(node: Node | null): node is HTMLImageElement {
  return !!node && node.nodeType === 1 && (node as Element).tagName === 'IMG';
}

/** A data URL from a blob (null: not an image we send). */
async function readBlob(blob: Blob, maxBytes: number): Promise<string | null> {
  const type = blob.type.toLowerCase();
  if (!/^image\/[\w.+-]+$/.test(type) || type.includes('svg') || blob.size > maxBytes) return null;
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return `data:${type};base64,${btoa(binary)}`;
}

/** The loaded image drawn into a canvas, as a data URL (null: not loaded, too large). */
function drawn(img: HTMLImageElement, maxBytes: number): string | null {
  const { naturalWidth: w, naturalHeight: h } = img;
  if (!img.complete || !w || !h || w * h > 4096 * 4096) return null;
  const canvas = img.ownerDocument.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  ctx.drawImage(img, 0, 0);
  const url = canvas.toDataURL('image/webp', 0.92);
  return url.length <= (maxBytes * 4) / 3 + 64 ? url : null;
}

function loaded(img: HTMLImageElement): Promise<void> {
  if (img.complete) return Promise.resolve();
  return new Promise((resolve) => {
    img.addEventListener('load', () => resolve(), { once: true });
    img.addEventListener('error', () => resolve(), { once: true });
  });
}

export class BlobImages {
  private readonly known = new Map<string, string | null>();
  private readonly pending = new Set<string>();

  constructor(
    private readonly win: Window,
    private readonly emit: (event: RecordedEvent) => void,
    private readonly maxBytes = BLOB_MAX_BYTES,
  ) {}

  /** `event` with every `<img>`'s blob: src replaced (a new object only where one changed). */
  rewrite<T>(event: T, lookup: Lookup): T {
    return this.walk(event, lookup, 0) as T;
  }

  private walk(value: unknown, lookup: Lookup, depth: number): unknown {
    if (typeof value !== 'object' || value === null || depth > 400) return value;
    if (Array.isArray(value)) {
      let changed = false;
      const out = value.map((item) => {
        const next = this.walk(item, lookup, depth + 1);
        if (next !== item) changed = true;
        return next;
      });
      return changed ? out : value;
    }
    const obj = value as Record<string, unknown>;
    let out: Record<string, unknown> | null = null;
    const attrs = obj.attributes as Record<string, unknown> | undefined;
    if (typeof obj.id === 'number' && attrs && typeof attrs === 'object' && typeof attrs.src === 'string' && attrs.src.startsWith('blob:')) {
      const node = lookup(obj.id);
      if (isImage(node)) out = { ...obj, attributes: { ...attrs, src: this.src(obj.id, attrs.src, node) } };
    }
    for (const [key, v] of Object.entries(obj)) {
      if (key === 'attributes' && out) continue;
      if (typeof v !== 'object' || v === null) continue;
      const next = this.walk(v, lookup, depth + 1);
      if (next !== v) {
        out ??= { ...obj };
        out[key] = next;
      }
    }
    return out ?? value;
  }

  /** The data URL for `url` if known, else "" and the blob is read. */
  private src(id: number, url: string, img: HTMLImageElement): string {
    const known = this.known.get(url);
    if (known !== undefined) return known ?? '';
    const key = `${id} ${url}`;
    if (!this.pending.has(key)) {
      this.pending.add(key);
      void this.read(url, img).then(
        (data) => {
          this.pending.delete(key);
          if (this.known.size > 500) this.known.clear();
          this.known.set(url, data);
          if (data !== null && img.getAttribute('src') === url) {
            this.emit({
              type: 3,
              timestamp: Date.now(),
              data: { source: 0, texts: [], attributes: [{ id, attributes: { src: data } }], removes: [], adds: [] },
            } as unknown as RecordedEvent);
          }
        },
        () => this.pending.delete(key),
      );
    }
    return '';
  }

  /**
   * The blob's own bytes when it can be fetched; else (revoked, refused, or a fetch that
   * does not answer within FETCH_WAIT_MS of the image being loaded) the loaded image
   * drawn. Never rejects.
   */
  private async read(url: string, img: HTMLImageElement): Promise<string | null> {
    const viaFetch = this.fetched(url);
    await loaded(img);
    const early = await Promise.race([viaFetch, wait(this.win, FETCH_WAIT_MS).then(() => undefined)]);
    if (typeof early === 'string') return early;
    try {
      return drawn(img, this.maxBytes);
    } catch {
      return null;
    }
  }

  private async fetched(url: string): Promise<string | null> {
    try {
      const response = await this.win.fetch(url);
      if (response.ok) return await readBlob(await response.blob(), this.maxBytes);
    } catch {
      /* revoked, or the page's policy refuses: drawn instead */
    }
    return null;
  }
}
