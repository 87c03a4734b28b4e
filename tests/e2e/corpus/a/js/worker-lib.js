function libName() { return "lib at " + location.pathname; }
