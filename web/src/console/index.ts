/** Entry point of /static/dist/console.js (loaded by console.html, CSP script-src 'self'). */
import './console.css';
import { ConsoleController } from './controller';
import { applyLang, chooseConsoleLang, langStore } from './i18n';
import { mountRecordings } from './recordings';

function boot(): void {
  // The language first: everything the console builds is labelled in it.
  applyLang(document, chooseConsoleLang(langStore.load(), navigator.languages ?? [navigator.language]));
  void new ConsoleController().start();
  mountRecordings(document); // the Recordings view (./recordings.ts)
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot, { once: true });
else boot();
