var img = new Image();
img.onload = function () {
  document.getElementById('result').textContent =
    'loaded ' + img.naturalWidth + 'x' + img.naturalHeight + '; document.cookie: ' + (document.cookie || '(none)');
  document.body.setAttribute('data-done', 'yes');
};
img.onerror = function () {
  document.getElementById('result').textContent = 'image failed';
  document.body.setAttribute('data-done', 'yes');
};
img.src = '/api/cookie-image.png?name=imaged&value=yes';
document.body.appendChild(img);
