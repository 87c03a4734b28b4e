window.__current = [document.currentScript.src, document.currentScript.getAttribute('src')];
