// The one proxied site the runtime's pure tests map: https://site.example on the proxy
// host P, with its `go` path.
import { makeMapper } from '../src/runtime/urls';

export const P = 'http://pabc.cobrowse.localhost:8000';
export const map = makeMapper({ 'https://site.example': P }, () => 'https://site.example/', {
  proxyOrigin: P,
  go: '/__cobrowse/go?url=',
  others: [],
});
export const up = (u: string): string => map.toUpstream(u);
