// The server sets an HttpOnly cookie and a plain one; script must see only the plain
// one, cannot overwrite or delete the HttpOnly one, and the server still gets it.
var out = [];
function step(label) { out.push(label + ': ' + (document.cookie || '(none)')); }
function names() {
  return fetch('/api/cookies').then(function (r) { return r.json(); }).then(function (j) { return j.names.join(', '); });
}
fetch('/api/set-cookie?name=secret&value=s1&httponly=1').then(function () {
  return fetch('/api/set-cookie?name=open&value=o1');
}).then(function () {
  step('after both');
  document.cookie = 'secret=forged; path=/';
  document.cookie = 'secret=; path=/; max-age=0';
  document.cookie = 'mine=1; path=/; HttpOnly';
  step('after script writes');
  return window.cookieStore ? cookieStore.get('secret') : null;
}).then(function (got) {
  out.push('cookieStore.get(secret): ' + JSON.stringify(got));
  return names();
}).then(function (seen) {
  out.push('server: ' + seen);
  document.getElementById('result').textContent = out.join(' | ');
  document.body.setAttribute('data-done', 'yes');
});
