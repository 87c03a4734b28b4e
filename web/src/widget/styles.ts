/** The widget's stylesheet, scoped to its shadow root. */
export const HOST_STYLE = [
  'all: initial !important',
  'position: fixed !important',
  'right: 0 !important',
  'bottom: 0 !important',
  'width: 0 !important',
  'height: 0 !important',
  'margin: 0 !important',
  'padding: 0 !important',
  'border: 0 !important',
  'display: block !important',
  'z-index: 2147483647 !important',
  'overflow: visible !important',
].join('; ');

export const WIDGET_CSS = `
:host { all: initial; }
.cb-root, .cb-root * { box-sizing: border-box; }
.cb-root {
  font: 400 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  color: #1b1f24;
  -webkit-font-smoothing: antialiased;
}
[hidden] { display: none !important; }
button {
  font: inherit; font-weight: 600; cursor: pointer; border-radius: 8px;
  padding: 0.55em 1.1em; border: 2px solid transparent; line-height: 1.2;
  transition: background-color .15s, box-shadow .15s;
}
button:focus-visible { outline: 3px solid #f2b705; outline-offset: 2px; }
button:disabled { opacity: .6; cursor: default; }
.cb-primary { background: #0b57d0; color: #fff; }
.cb-primary:hover:not(:disabled) { background: #0842a0; }
.cb-secondary { background: #fff; color: #0b57d0; border-color: #0b57d0; }
.cb-secondary:hover:not(:disabled) { background: #eef3fd; }
.cb-danger { background: #b3261e; color: #fff; }
.cb-danger:hover { background: #8c1d18; }

.cb-launch {
  position: fixed; right: 20px; bottom: 20px;
  display: inline-flex; align-items: center; gap: .5em;
  background: #0b57d0; color: #fff; border-radius: 999px; padding: .7em 1.2em;
  box-shadow: 0 4px 14px rgba(0,0,0,.25);
}
.cb-launch:hover { background: #0842a0; }
.cb-launch svg { width: 1.2em; height: 1.2em; flex: none; }

.cb-dialog {
  position: fixed; right: 20px; bottom: 20px; width: min(360px, calc(100vw - 40px));
  background: #fff; border-radius: 14px; padding: 20px 22px;
  box-shadow: 0 10px 40px rgba(0,0,0,.3); border: 1px solid #d0d7de;
}
.cb-dialog:focus { outline: none; }
.cb-dialog:focus-visible { outline: 3px solid #f2b705; outline-offset: 2px; }
.cb-title { margin: 0 0 .4em; font-size: 1.1em; font-weight: 700; }
.cb-text { margin: 0 0 .8em; }
.cb-pin {
  margin: .2em 0 .3em; font-size: 2.6em; font-weight: 700; letter-spacing: .08em;
  font-variant-numeric: tabular-nums; text-align: center; color: #0b2a5b;
  background: #f1f5fb; border-radius: 10px; padding: .15em 0;
}
.cb-valid { margin: 0 0 1em; text-align: center; color: #4a5560; font-variant-numeric: tabular-nums; }
.cb-actions { display: flex; gap: .6em; justify-content: flex-end; flex-wrap: wrap; }

.cb-bar {
  position: fixed; left: 0; top: 0;
  display: flex; align-items: center; gap: .75em; max-width: calc(100vw - 16px);
  background: #1b1f24; color: #fff; border-radius: 999px; padding: 8px 8px 8px 8px;
  box-shadow: 0 6px 24px rgba(0,0,0,.35);
}
.cb-bar p { margin: 0; }
.cb-texts { display: flex; flex-direction: column; min-width: 0; flex: 1 1 auto; }
.cb-bar button { white-space: nowrap; flex: none; }
@media (max-width: 560px) {
  .cb-bar:not([data-minimised]) { flex-wrap: wrap; border-radius: 18px; justify-content: flex-end; gap: .5em; }
  .cb-bar:not([data-minimised]) .cb-texts { flex-basis: calc(100% - 64px); }
  .cb-bar[data-minimised] .cb-chip-text { line-height: 1.2; }
}
.cb-participants { font-size: .85em; color: #d0d7de; }
.cb-chip-text { display: none; }
.cb-bar[data-minimised] { gap: .5em; }
.cb-bar[data-minimised] .cb-chip-text { display: block; font-size: .9em; font-weight: 600; }
.cb-bar[data-minimised] .cb-status {
  position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap;
}
.cb-bar[data-minimised] .cb-participants { display: none; }
.cb-grip {
  background: transparent; color: #d0d7de; border-color: transparent; padding: .45em .35em;
  cursor: grab; touch-action: none; display: inline-flex; align-items: center; border-radius: 999px;
}
.cb-grip:hover { background: #30363d; color: #fff; }
.cb-grip:active { cursor: grabbing; }
.cb-grip svg { width: .75em; height: 1.25em; }
.cb-dot {
  width: 10px; height: 10px; border-radius: 50%; background: #e5484d; flex: none;
  animation: cb-pulse 1.6s ease-in-out infinite;
}
@keyframes cb-pulse { 50% { opacity: .35; } }
.cb-bar[data-reconnecting] .cb-dot { background: #8b949e; }
@media (prefers-reduced-motion: reduce) { .cb-dot { animation: none; } }

.cb-toast {
  position: fixed; right: 20px; bottom: 84px; max-width: min(360px, calc(100vw - 40px));
  background: #1b1f24; color: #fff; border-radius: 10px; padding: 10px 16px;
  box-shadow: 0 6px 24px rgba(0,0,0,.3);
}
.cb-toast:empty { display: none; }
.cb-act-toast { bottom: auto; top: 20px; background: #0b2a5b; }
.cb-root[data-bar-top] .cb-act-toast { top: auto; bottom: 20px; }

.cb-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.cb-ghost { background: transparent; color: #fff; border-color: #8b949e; position: relative; }
.cb-ghost:hover { background: #30363d; }
.cb-warn { background: #f2b705; color: #1b1f24; }
.cb-warn:hover { background: #d9a404; }
.cb-badge {
  display: inline-block; min-width: 1.4em; margin-left: .4em; padding: 0 .35em; border-radius: 999px;
  background: #e5484d; color: #fff; font-size: .8em; line-height: 1.4em; text-align: center;
}
.cb-dock { position: fixed; left: 0; top: 0; width: min(360px, calc(100vw - 32px)); overflow-y: auto; border-radius: 14px; }
.cb-dock .cb-dialog { position: static; width: 100%; }
.cb-chat-box {
  position: relative;
  background: #fff; border-radius: 14px; border: 1px solid #d0d7de; box-shadow: 0 10px 40px rgba(0,0,0,.3);
  padding: 14px 16px;
}
.cb-hide {
  position: absolute; right: 10px; top: 8px; padding: .3em .8em; font-size: .85em;
  background: #fff; color: #0b57d0; border-color: #0b57d0;
}
.cb-hide:hover { background: #eef3fd; }
.cb-chat-toast {
  position: fixed; left: 0; top: 0; width: min(340px, calc(100vw - 32px));
  background: #fff; color: #1b1f24; border-radius: 12px; border: 1px solid #d0d7de; border-left: 6px solid #0b57d0;
  box-shadow: 0 10px 30px rgba(0,0,0,.3); padding: 10px 14px;
}
.cb-chat-toast p { margin: 0 0 .4em; overflow-wrap: anywhere; }
.cb-chat-toast-name { font-weight: 700; color: #0b2a5b; font-size: .9em; }
.cb-chat-toast .cb-ghost { color: #0b57d0; border-color: #0b57d0; }
.cb-chat-toast .cb-ghost:hover { background: #eef3fd; }
.cb-chat-toast button { padding: .35em .9em; }
.cb-chat { display: flex; flex-direction: column; gap: 8px; }
.cb-chat-title { margin: 0; font-size: 1em; font-weight: 700; }
.cb-chat-log {
  max-height: min(40vh, 320px); min-height: 80px; overflow-y: auto; border: 1px solid #d0d7de;
  border-radius: 8px; padding: 8px; background: #f6f8fa;
}
.cb-chat-log:focus-visible { outline: 3px solid #f2b705; outline-offset: 2px; }
.cb-chat-empty { margin: 0; color: #4a5560; }
.cb-chat-msg { margin: 0 0 6px; overflow-wrap: anywhere; }
.cb-chat-msg[data-from="visitor"] { text-align: right; }
.cb-chat-name { display: block; font-size: .8em; font-weight: 700; color: #4a5560; }
.cb-chat-text { display: inline-block; background: #fff; border-radius: 8px; padding: 3px 9px; border: 1px solid #d0d7de; white-space: pre-wrap; }
.cb-chat-msg[data-from="visitor"] .cb-chat-text { background: #0b57d0; color: #fff; border-color: #0b57d0; }
.cb-chat-form { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
.cb-chat-label { flex-basis: 100%; font-size: .85em; font-weight: 600; }
.cb-chat-form input {
  flex: 1; min-width: 0; font: inherit; padding: .45em .6em; border: 2px solid #8b949e; border-radius: 8px;
}
.cb-chat-form input:focus-visible { outline: 3px solid #f2b705; outline-offset: 1px; border-color: #0b57d0; }
.cb-chat-send { background: #0b57d0; color: #fff; }
`;
