function show() {
  document.getElementById('cookies').textContent = 'document.cookie: ' + (document.cookie || '(none)');
}
if (!sessionStorage.getItem('deleted') && document.cookie.indexOf('consent=') < 0) {
  document.cookie = 'consent=yes; path=/';
  document.cookie = 'banner=closed; path=/';
}
document.getElementById('delete').addEventListener('click', function () {
  sessionStorage.setItem('deleted', '1');
  document.cookie = 'consent=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT';
  document.cookie = 'banner=; path=/; max-age=0';
  show();
});
show();
document.body.setAttribute('data-done', 'yes');
