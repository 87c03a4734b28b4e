// Every step through cookieStore; change events are listed once all have come.
var out = [];
var events = [];
function item(c) { return c ? [c.name, c.value, c.path, c.domain, c.secure, c.sameSite].join(' ') : 'null'; }
function names() {
  return fetch('/api/cookies').then(function (r) { return r.json(); }).then(function (j) { return j.names.join(', '); });
}
function waitFor(n) {
  return new Promise(function (done) {
    (function poll() { if (events.length >= n) done(); else setTimeout(poll, 20); })();
  });
}
if (!window.cookieStore) {
  document.getElementById('result').textContent = 'no cookieStore';
  document.body.setAttribute('data-done', 'yes');
} else {
  cookieStore.addEventListener('change', function (e) {
    events.push('changed [' + e.changed.map(function (c) { return c.name + '=' + c.value; }).join(',') +
      '] deleted [' + e.deleted.map(function (c) { return c.name; }).join(',') + ']');
  });
  // A round trip first (Chromium subscribes the listener asynchronously), then a write
  // by document.cookie that the server has seen before the next step (a document.cookie
  // write and a cookieStore call are not ordered in Chromium).
  names().then(function (seen) {
    out.push('server at first: ' + (seen || '(none)'));
    document.cookie = 'plain=1; path=/';
    return names();
  }).then(function (seen) {
    out.push('server then: ' + seen);
    return cookieStore.set('cs', 'one');
  }).then(function () {
    return cookieStore.get('cs');
  }).then(function (c) {
    out.push('get: ' + item(c));
    out.push('document.cookie: ' + document.cookie);
    return cookieStore.set({ name: 'opts', value: 'two', path: '/', sameSite: 'lax' });
  }).then(function () {
    return cookieStore.getAll();
  }).then(function (all) {
    out.push('getAll: ' + all.map(item).join(' ; '));
    return names();
  }).then(function (seen) {
    out.push('server: ' + seen);
    return cookieStore.delete('cs');
  }).then(function () {
    return cookieStore.get('cs');
  }).then(function (c) {
    out.push('after delete: ' + item(c) + ' / ' + document.cookie);
    return fetch('/api/set-cookie?name=fetched&value=3');
  }).then(function () {
    return cookieStore.getAll('fetched');
  }).then(function (all) {
    out.push('from fetch: ' + all.map(item).join(' ; '));
    return cookieStore.get({ name: 'x', url: 'https://elsewhere.example/' }).then(
      function () { return 'resolved'; },
      function (e) { return e.name; });
  }).then(function (err) {
    out.push('foreign url: ' + err);
    return waitFor(5);
  }).then(function () {
    document.getElementById('result').textContent = out.join(' | ');
    document.getElementById('events').textContent = events.join(' | ');
    document.body.setAttribute('data-done', 'yes');
  });
}
