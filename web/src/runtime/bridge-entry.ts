/**
 * The second half of the overlay bridge, built as its own ES module
 * (`/__cobrowse/runtime-bridge.js`) and imported by runtime/shell.ts once the page runs.
 */
import { adoptCanvasText } from '../widget/canvas-text';
import { adoptWebglCapture } from '../widget/webgl';
import { FrameBridge } from './bridge';
import type { RuntimeContext } from './context';
import type { BridgeHalf } from './shell';

export function createBridge(ctx: RuntimeContext, parent: Window): BridgeHalf {
  // The watches the runtime installed before the page's scripts, not new ones of ours:
  // this module is its own bundle, with its own module state.
  if (ctx.canvasWatch?.webgl) adoptWebglCapture(ctx.win, ctx.canvasWatch.webgl);
  if (ctx.canvasWatch?.text) adoptCanvasText(ctx.win, ctx.canvasWatch.text);
  return new FrameBridge(ctx, parent);
}
