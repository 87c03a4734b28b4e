export function remote() {
  return 'a module from the other origin';
}
