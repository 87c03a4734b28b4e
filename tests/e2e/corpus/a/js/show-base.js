var u = new URL(document.baseURI);
document.getElementById('result').textContent = 'base path: ' + u.pathname;
