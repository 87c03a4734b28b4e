function names() {
  return document.cookie.split(';').map(function (c) { return c.trim(); }).filter(Boolean).sort().join('; ');
}
document.getElementById('before').textContent = 'at load: ' + (names() || '(none)');
var visits = /(?:^|; )visits=(\d+)/.exec(document.cookie);
var n = visits ? Number(visits[1]) + 1 : 1;
document.cookie = 'visits=' + n + '; path=/; SameSite=Lax';
document.cookie = 'theme=green; path=/cookie.html';
document.getElementById('after').textContent = 'after set: ' + names();
document.body.setAttribute('data-done', String(n));
