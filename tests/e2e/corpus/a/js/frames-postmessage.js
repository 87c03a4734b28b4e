var seen = {};
// Loaded in <head>: listening before any frame can post.
function show() {
  if (!document.getElementById('result')) return;
  var keys = Object.keys(seen).sort();
  document.getElementById('result').textContent = keys.map(function (k) { return k + ': ' + seen[k]; }).join(' | ');
  if (seen.cross && seen.cross.indexOf('pong') === 0 && seen.same && seen.sameDom) {
    document.body.setAttribute('data-done', 'yes');
  }
}
window.addEventListener('message', function (e) {
  if (!e.data || !e.data.from) return;
  seen[e.data.from] = e.data.text;
  if (e.data.from === 'cross' && e.data.text === 'ready') {
    document.getElementById('cross').contentWindow.postMessage('ping', '{{B}}');
  }
  if (e.data.from === 'same') {
    seen.sameDom = document.getElementById('same').contentDocument.getElementById('child').textContent.length + ' chars';
  }
  show();
});
document.addEventListener('DOMContentLoaded', show);
