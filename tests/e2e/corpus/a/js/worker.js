"use strict";
importScripts("/js/worker-lib.js");
self.postMessage([location.href, location.origin, self.location.pathname, libName(), typeof top]);
