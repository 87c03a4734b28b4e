/** Entry point of /static/dist/console.js (loaded by console.html, CSP script-src 'self'). */
import './console.css';
import { ConsoleController } from './controller';
import { mountRecordings } from './recordings';

function boot(): void {
  void new ConsoleController().start();
  mountRecordings(document); // the Recordings view (./recordings.ts)
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot, { once: true });
else boot();
