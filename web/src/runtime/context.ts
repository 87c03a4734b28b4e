/** What every patch module gets: the config, the URL maps, and a few hooks. */
import type { RuntimeConfig } from './config';
import type { ReadGate } from './gate';
import type { UrlMapper } from './urls';
import type { CanvasText } from '../widget/canvas-text';
import type { WebGLCapture } from '../widget/webgl';

export interface RuntimeContext {
  readonly cfg: RuntimeConfig;
  readonly map: UrlMapper;
  readonly win: Window & typeof globalThis;
  /** Whether this document is the overlay frame itself (its parent is the widget's page). */
  readonly overlay: boolean;
  /** Native reads for the runtime's recorder (the transparency getters step aside). */
  readonly gate: ReadGate;
  /**
   * The canvas watches the runtime installed before any page script (overlay frame only);
   * the bridge's module, a separate bundle, adopts them (runtime/bridge-entry.ts).
   */
  canvasWatch?: { readonly webgl: WebGLCapture | null; readonly text: CanvasText | null };
  /** The page's URL changed without a load (history API, hash): tell the widget. */
  locationChanged(): void;
}
