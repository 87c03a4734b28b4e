/** Entry point of /static/dist/replay.js: the player of an exported recording (one HTML
 * file, server/recordings_api.py), which carries its data in #recording-data. */
import 'rrweb/dist/style.css';
import './recordings.css';
import { type ReplayData, mountPlayer } from './replay-player';

function boot(): void {
  const data = document.getElementById('recording-data')?.textContent;
  const host = document.getElementById('player');
  if (!data || !host) return;
  mountPlayer(host, JSON.parse(data) as ReplayData);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot, { once: true });
else boot();
