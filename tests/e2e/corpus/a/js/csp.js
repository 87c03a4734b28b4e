var violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  violations.push(e.violatedDirective);
  document.getElementById('violations').textContent = 'violations: ' + violations.length;
});
fetch('/api/items?page=csp').then(function (r) { return r.json(); }).then(function (data) {
  document.getElementById('result').textContent = 'fetched under connect-src: ' + data.title;
  document.body.setAttribute('data-done', 'yes');
});
