export function lazy() {
  return 'dynamically imported';
}
