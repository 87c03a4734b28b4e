/**
 * One participant's WebSocket to the server: sends `hello` on every (re)open,
 * parses server frames, and reconnects with backoff after unexpected disconnects.
 * Shared by the visitor widget and the agent console.
 *
 * After a drop, `hello` carries the last frame number `n` received (resume.ts), so the server
 * sends only what was missed; the handlers see `welcome` (with `resumed`), the
 * catch-up, then `synced`, from which on the stream is live again.
 */
import { backoffDelay, shouldReconnect } from './backoff';
import { ResumePoint } from './resume';
import {
  type ClientMessage,
  type ServerMessage,
  encode,
  hello,
  parseServerMessage,
} from './protocol';

export interface SocketHandlers {
  /**
   * A valid server frame. After `welcome` comes the catch-up (missed frames, or a
   * fresh start if `welcome.resumed` is false), then `synced`: the stream is live.
   */
  message(message: ServerMessage): void;
  /** The socket went down unexpectedly; a reconnect is scheduled. */
  down(): void;
  /** The socket closed for good (after `ended`, or a close code that reconnecting cannot fix). */
  closed(code: number, reason: string): void;
}

export class SessionSocket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private sawEnded = false;
  private stopped = false;
  private readonly resume = new ResumePoint();

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly handlers: SocketHandlers,
  ) {}

  /** Open the socket (idempotent). */
  open(): void {
    if (this.stopped || this.ws) return;
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      ws.send(encode(hello(this.token, this.resume.resumeFrom)));
    };
    ws.onmessage = (event: MessageEvent) => {
      if (this.ws !== ws || typeof event.data !== 'string') return;
      let message: ServerMessage;
      try {
        message = parseServerMessage(event.data);
      } catch {
        return; // a frame we do not understand is ignored; the server validates ours.
      }
      this.resume.observe(message);
      if (message.t === 'synced') this.attempt = 0; // a whole catch-up went through
      if (message.t === 'ended') this.sawEnded = true;
      this.handlers.message(message);
    };
    ws.onerror = () => {
      /* the close event follows; nothing to report here */
    };
    ws.onclose = (event: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.resume.down();
      if (this.stopped) return;
      if (shouldReconnect(event.code, this.sawEnded)) {
        this.handlers.down();
        this.scheduleReconnect(event.code);
      } else {
        this.stopped = true;
        this.handlers.closed(event.code, event.reason);
      }
    };
  }

  /** The frame number `n` the next hello carries (null: a fresh start). */
  get resumeFrom(): number | null {
    return this.resume.resumeFrom;
  }

  /** Whether the current connection's catch-up is complete (`synced` seen, not down since). */
  get synced(): boolean {
    return this.resume.isSynced;
  }

  /** Whether a frame sent now goes out on an authenticated, open socket. */
  get isOpen(): boolean {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Send a frame if the socket is open; returns whether it was sent. */
  send(message: ClientMessage): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(encode(message));
    return true;
  }

  /**
   * Close for good, without reconnecting or reporting. `last` (e.g. `end`) is sent
   * first; if the socket is still connecting, it is sent right after `hello`.
   */
  close(last?: ClientMessage): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    if (ws.readyState === WebSocket.OPEN) {
      if (last) ws.send(encode(last));
      ws.close(1000, 'bye');
    } else if (ws.readyState === WebSocket.CONNECTING) {
      ws.onmessage = null;
      ws.onclose = null;
      ws.onopen = () => {
        ws.send(encode(hello(this.token, this.resume.resumeFrom)));
        if (last) ws.send(encode(last));
        ws.close(1000, 'bye');
      };
    }
  }

  private scheduleReconnect(code?: number): void {
    if (this.stopped || this.timer !== null) return;
    const delay = backoffDelay(this.attempt, code);
    this.attempt += 1;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.open();
    }, delay);
  }
}
