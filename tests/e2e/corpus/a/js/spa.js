// A tiny router: pushState on clicks, popstate on back, JSON from /api/items.
var log = [];
function pageOf(path) {
  var name = path.replace(/^\/spa\/?/, '');
  return name || 'home';
}
function render(page, how) {
  return fetch('/api/items?page=' + encodeURIComponent(page), {headers: {'Accept': 'application/json'}})
    .then(function (r) { return r.json(); })
    .then(function (data) {
      document.getElementById('title').textContent = data.title;
      document.getElementById('body').textContent = data.items.join(', ');
      log.push(how + ':' + page);
      document.getElementById('history').textContent = log.join(' → ') + ' (length ' + history.length + ')';
      document.body.setAttribute('data-page', page + '#' + log.length);
    });
}
document.addEventListener('click', function (e) {
  var a = e.target.closest('a[data-page]');
  if (!a) return;
  e.preventDefault();
  history.pushState({page: a.dataset.page}, '', a.href);
  render(a.dataset.page, 'push');
});
window.addEventListener('popstate', function (e) {
  render(e.state ? e.state.page : pageOf(location.pathname), 'pop');
});
render(pageOf(location.pathname), 'load');
