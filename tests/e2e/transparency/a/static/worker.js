importScripts('sibling.js');
postMessage({ href: self.location.href, origin: self.origin, sibling: self.siblingValue, loc: String(self.location) });
