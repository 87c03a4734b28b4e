// One socket to this origin (built from location), one to the other origin (absolute).
var same = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws/echo');
var cross = new WebSocket('{{B_WS}}/ws/echo');
// body[data-done="2"] once both sockets opened or failed: the page's own work is done.
function settled() {
  document.body.dataset.done = String(Number(document.body.dataset.done || 0) + 1);
}
function wire(ws, id) {
  ws.onmessage = function (e) { document.getElementById(id).textContent = id + ' got ' + e.data; };
  ws.onopen = function () { document.getElementById(id).textContent = id + ' open'; settled(); };
  ws.onerror = function () { document.getElementById(id).textContent = id + ' error'; settled(); };
}
wire(same, 'same');
wire(cross, 'cross');
document.getElementById('send').addEventListener('click', function () {
  var text = document.getElementById('msg').value;
  same.send(text);
  cross.send(text.toUpperCase());
});
