/**
 * The overlay iframe of proxy mode: a full-window iframe laid over the page, just under
 * the widget's own UI (so the bar with Stop stays on top), and the top page's side of
 * the postMessage bridge to the runtime inside it (../bridge.ts). Accepts messages only
 * from the iframe's window and from proxy origins (acceptFrameOrigin).
 */
import { type FrameMessage, type TopMessage, acceptFrameOrigin, parseFrameMessage } from '../bridge';
import { WIDGET_ATTRIBUTE } from './recorder';

export const OVERLAY_Z_INDEX = 2147483646; // the widget's host is 2147483647

export const OVERLAY_STYLE = [
  'all: initial !important',
  'position: fixed !important',
  'inset: 0 !important',
  'top: 0 !important',
  'left: 0 !important',
  'width: 100vw !important',
  'height: 100vh !important',
  'max-width: none !important',
  'max-height: none !important',
  'margin: 0 !important',
  'padding: 0 !important',
  'border: 0 !important',
  'display: block !important',
  'visibility: visible !important',
  'opacity: 1 !important',
  'transform: none !important',
  'background: #fff !important',
  `z-index: ${OVERLAY_Z_INDEX} !important`,
].join('; ');

export class OverlayFrame {
  readonly iframe: HTMLIFrameElement;
  private frameOrigin: string;
  private readonly listener: (event: MessageEvent) => void;

  constructor(
    private readonly win: Window,
    src: string,
    private readonly proxyOrigin: string,
    anchor: Element,
    onMessage: (message: FrameMessage) => void,
  ) {
    const doc = win.document;
    this.frameOrigin = proxyOrigin;
    const iframe = doc.createElement('iframe');
    iframe.setAttribute(WIDGET_ATTRIBUTE, '');
    iframe.setAttribute('title', `Co-browsing: ${doc.title || win.location.hostname}`);
    iframe.setAttribute('allow', 'clipboard-read; clipboard-write; fullscreen');
    iframe.setAttribute('style', OVERLAY_STYLE);
    iframe.setAttribute('src', src);
    this.iframe = iframe;
    this.listener = (event: MessageEvent) => {
      if (!iframe.contentWindow || event.source !== iframe.contentWindow) return;
      if (!acceptFrameOrigin(event.origin, this.proxyOrigin)) return;
      const message = parseFrameMessage(event.data);
      if (!message) return;
      this.frameOrigin = event.origin;
      onMessage(message);
    };
    win.addEventListener('message', this.listener);
    // Next to the widget's host, before it: same stacking context, and the widget wins.
    const parent = anchor.parentNode ?? doc.body ?? doc.documentElement;
    parent.insertBefore(iframe, anchor.parentNode ? anchor : null);
  }

  post(message: TopMessage): void {
    try {
      this.iframe.contentWindow?.postMessage(message, this.frameOrigin);
    } catch {
      /* the frame is gone or elsewhere; its next `ready` restarts recording */
    }
  }

  remove(): void {
    this.win.removeEventListener('message', this.listener);
    this.iframe.remove();
  }
}
