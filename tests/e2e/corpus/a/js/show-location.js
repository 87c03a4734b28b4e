document.getElementById('result').textContent = location.pathname + location.search;
