document.getElementById('fetch-send').addEventListener('click', function () {
  var data = new FormData();
  data.append('note', 'by fetch');
  data.append('doc', document.getElementById('fetch-file').files[0]);
  fetch('/upload?format=json', {method: 'POST', body: data})
    .then(function (r) { return r.json(); })
    .then(function (j) {
      document.getElementById('result').textContent = j.note + ': ' + j.name + ' (' + j.size + ' bytes, sha256 ' + j.sha256.slice(0, 12) + ')';
    });
});
