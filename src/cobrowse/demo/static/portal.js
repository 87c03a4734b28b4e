// Demo e-filing portal: dashboard tabs without page loads, and the live tax estimate.
// Loaded as a static file (no inline script), so pages work under a strict CSP.
'use strict';

(function () {
  function initTabs(panel) {
    var tabs = Array.prototype.slice.call(document.querySelectorAll('[role="tab"][data-tab]'));
    if (!tabs.length) return;
    var current = tabs.filter(function (t) { return t.getAttribute('aria-selected') === 'true'; })[0] || tabs[0];
    history.replaceState({ tab: current.getAttribute('data-tab') }, '', location.href);
    var seq = 0;

    function select(tab) {
      tabs.forEach(function (t) { t.setAttribute('aria-selected', t === tab ? 'true' : 'false'); });
      panel.setAttribute('aria-labelledby', tab.id);
    }

    function byKey(key) {
      return tabs.filter(function (t) { return t.getAttribute('data-tab') === key; })[0] || null;
    }

    function byPath(path) {
      return tabs.filter(function (t) { return t.getAttribute('href') === path; })[0] || null;
    }

    function show(tab, push) {
      var key = tab.getAttribute('data-tab');
      var mine = ++seq;
      panel.setAttribute('aria-busy', 'true');
      return fetch('/api/dashboard/' + encodeURIComponent(key), {
        headers: { Accept: 'application/json' },
        credentials: 'same-origin',
      })
        .then(function (res) {
          if (res.status === 401) {
            location.assign('/login?next=' + encodeURIComponent(tab.getAttribute('href')));
            return null;
          }
          if (!res.ok) throw new Error('HTTP ' + res.status);
          return res.json();
        })
        .then(function (data) {
          if (!data || mine !== seq) return;
          panel.innerHTML = data.html;
          select(tab);
          document.title = data.title;
          if (push) history.pushState({ tab: data.tab }, '', data.url);
        })
        .catch(function () {
          if (push && mine === seq) location.assign(tab.getAttribute('href'));
        })
        .then(function () {
          if (mine === seq) panel.removeAttribute('aria-busy');
        });
    }

    tabs.forEach(function (tab, index) {
      tab.addEventListener('click', function (event) {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        if (tab.getAttribute('aria-selected') === 'true') return;
        show(tab, true);
      });
      tab.addEventListener('keydown', function (event) {
        var step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
        if (!step) return;
        event.preventDefault();
        var next = tabs[(index + step + tabs.length) % tabs.length];
        next.focus();
        show(next, true);
      });
    });

    window.addEventListener('popstate', function (event) {
      var key = event.state && event.state.tab;
      var tab = (key && byKey(key)) || byPath(location.pathname);
      if (tab) show(tab, false);
    });
  }

  function initEstimate(input) {
    var out = document.getElementById(input.getAttribute('data-tax-estimate'));
    if (!out) return;
    var initial = out.textContent;
    var timer = 0;
    var seq = 0;

    function update() {
      var value = input.value.trim();
      var mine = ++seq;
      if (!value) {
        out.textContent = initial;
        out.classList.remove('invalid');
        return;
      }
      fetch('/api/tax-estimate?gross_salary=' + encodeURIComponent(value), {
        headers: { Accept: 'application/json' },
        credentials: 'same-origin',
      })
        .then(function (res) {
          return res.json().then(function (body) { return { ok: res.ok, body: body }; });
        })
        .then(function (answer) {
          if (mine !== seq) return;
          out.textContent = answer.ok ? answer.body.text : answer.body.error.message;
          out.classList.toggle('invalid', !answer.ok);
        })
        .catch(function () { /* the estimate is only a convenience */ });
    }

    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(update, 250);
    });
    if (input.value.trim()) update();
  }

  function start() {
    var panel = document.querySelector('[data-dashboard-panel]');
    if (panel) initTabs(panel);
    Array.prototype.forEach.call(document.querySelectorAll('[data-tax-estimate]'), initEstimate);
    var summary = document.querySelector('.error-summary');
    if (summary) summary.focus();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
