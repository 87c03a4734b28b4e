export const shared = { count: 0 };
shared.count += 1;
export function greet(who) {
  return 'hello from ' + who;
}
