// One socket to this origin (built from location), one to the other origin (absolute).
var same = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws/echo');
var cross = new WebSocket('{{B_WS}}/ws/echo');
function wire(ws, id) {
  ws.onmessage = function (e) { document.getElementById(id).textContent = id + ' got ' + e.data; };
  ws.onopen = function () { document.getElementById(id).textContent = id + ' open'; };
  ws.onerror = function () { document.getElementById(id).textContent = id + ' error'; };
}
wire(same, 'same');
wire(cross, 'cross');
document.getElementById('send').addEventListener('click', function () {
  var text = document.getElementById('msg').value;
  same.send(text);
  cross.send(text.toUpperCase());
});
