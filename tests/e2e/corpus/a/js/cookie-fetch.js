// Each step reads document.cookie right after the response is in: no wait, no reload.
var out = [];
function step(label) { out.push(label + ': ' + (document.cookie || '(none)')); }
step('at load');
fetch('/api/set-cookie?name=fetched&value=yes').then(function (r) {
  step('after fetch');
  return r.json();
}).then(function () {
  return fetch('/api/set-cookie?name=scoped&value=1&path=/deep');
}).then(function () {
  step('after a cookie for another path');
  var xhr = new XMLHttpRequest();
  xhr.open('GET', '/api/set-cookie?name=xhr&value=2');
  xhr.onload = function () {
    step('after XHR');
    document.getElementById('result').textContent = out.join(' | ');
    document.body.setAttribute('data-done', 'yes');
  };
  xhr.send();
});
