/**
 * The second half of the overlay bridge, built as its own ES module
 * (`/__cobrowse/runtime-bridge.js`) and imported by runtime/shell.ts once the page runs.
 */
import { FrameBridge } from './bridge';
import type { RuntimeContext } from './context';
import type { BridgeHalf } from './shell';

export function createBridge(ctx: RuntimeContext, parent: Window): BridgeHalf {
  return new FrameBridge(ctx, parent);
}
