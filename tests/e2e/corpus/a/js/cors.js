document.getElementById('result').textContent = 'remote script: ' + (window.sriRemote || 'missing');
fetch('{{B}}/data.json').then(function (r) { return r.json(); }).then(function (j) {
  document.getElementById('fetched').textContent = 'fetched from B: ' + j.message;
}, function (e) {
  document.getElementById('fetched').textContent = 'fetch failed: ' + e.name;
}).then(function () {
  document.body.setAttribute('data-done', 'yes');
});
