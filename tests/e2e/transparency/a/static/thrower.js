function thrower() {
  throw new Error('thrown at ' + location.pathname);
}
