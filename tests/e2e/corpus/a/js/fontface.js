// A face made from script, with an absolute URL on the other origin (CORS).
var face = new FontFace('Corpus Api', 'url({{B}}/fonts/corpus-mono.ttf)');
document.fonts.add(face);
face.load().then(function () {
  document.getElementById('result').textContent = face.family + ': ' + face.status;
  document.body.setAttribute('data-done', 'yes');
}, function (e) {
  document.getElementById('result').textContent = 'font failed: ' + e.name;
  document.body.setAttribute('data-done', 'yes');
});
