import { greet, shared } from './lib.mjs';

document.getElementById('result').textContent = greet('external module') + '; ' + shared.count + ' instance';
import('/js/lazy.mjs').then((m) => {
  document.getElementById('dynamic').textContent = m.lazy() + ' (import.meta.url path ' + new URL(import.meta.url).pathname + ')';
  document.body.setAttribute('data-done', 'yes');
});
