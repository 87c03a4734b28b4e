export function where() { return "module at " + self.location.href; }
