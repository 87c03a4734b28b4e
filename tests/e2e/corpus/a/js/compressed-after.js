document.getElementById('result').textContent = window.gzipScript + ', brotli script ran';
fetch('/br/data.json').then(function (r) { return r.json(); }).then(function (j) {
  document.getElementById('fetched').textContent = 'brotli JSON: ' + j.words.length + ' words, last ' + j.words[j.words.length - 1];
  return fetch('/gz/data.json');
}).then(function (r) { return r.json(); }).then(function (j) {
  document.getElementById('fetched').textContent += '; gzip JSON: ' + j.words.length + ' words';
  document.body.setAttribute('data-done', 'yes');
});
