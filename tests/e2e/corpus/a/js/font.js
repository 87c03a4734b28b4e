document.fonts.load('20px "Corpus Mono"').then(function () {
  var names = [];
  document.fonts.forEach(function (f) { names.push(f.family + ': ' + f.status); });
  names.sort();
  document.getElementById('result').textContent = names.join(', ');
  document.body.setAttribute('data-done', 'yes');
}, function (e) {
  document.getElementById('result').textContent = 'font failed: ' + e;
  document.body.setAttribute('data-done', 'yes');
});
