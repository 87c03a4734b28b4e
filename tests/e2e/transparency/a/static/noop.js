window.__noop = true;
