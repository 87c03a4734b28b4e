"""Framework test pages (a React app, an Angular-like one) and a small server for them."""
