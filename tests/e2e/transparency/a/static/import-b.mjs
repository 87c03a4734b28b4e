import { value, url } from '{{B}}/static/cross.mjs';

window.__result = { value, url, self: import.meta.url };
