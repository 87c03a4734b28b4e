var id = 'corpus-stream';
var received = '';
var released = false;
var decoder = new TextDecoder();
function line(text) {
  var li = document.createElement('li');
  li.textContent = text;
  document.getElementById('chunks').appendChild(li);
}
fetch('/stream?id=' + id).then(function (r) {
  var reader = r.body.getReader();
  function next() {
    return reader.read().then(function (step) {
      if (step.done) {
        document.getElementById('result').textContent = 'complete: ' + received.split('\n').filter(Boolean).length + ' lines';
        document.body.setAttribute('data-done', 'yes');
        return;
      }
      received += decoder.decode(step.value, {stream: true});
      if (!released && received.indexOf('part 3') >= 0) {
        released = true;
        line('first parts arrived before the rest was sent');
        fetch('/stream/release?id=' + id, {method: 'POST'});
      }
      return next();
    });
  }
  return next();
});
