var ROUNDS = 200;
var seen = 0;
var round = 0;
function next() {
  round += 1;
  if (round > ROUNDS) {
    document.getElementById('result').textContent = 'the server saw the new cookie in ' + seen + ' of ' + ROUNDS + ' rounds';
    document.body.setAttribute('data-done', 'yes');
    return;
  }
  document.cookie = 'round=' + round + '; path=/';
  fetch('/api/cookies').then(function (r) { return r.json(); }).then(function (j) {
    if (j.names.indexOf('round=' + round) >= 0) seen += 1;
    next();
  });
}
next();
