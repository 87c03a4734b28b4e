import { describe, expect, it } from 'vitest';
import { mapCssUrls } from '../src/runtime/css';

const map = (u: string): string => (u.startsWith('https://b.example/') ? u.replace('https://b.example', 'http://pb.cb.localhost') : u);

describe('mapCssUrls', () => {
  it('maps unquoted and quoted url() values, keeping everything else', () => {
    expect(mapCssUrls('url(https://b.example/f.ttf) format("truetype")', map)).toBe(
      'url(http://pb.cb.localhost/f.ttf) format("truetype")',
    );
    expect(mapCssUrls(`local(X), url( "https://b.example/a b.woff" ), url('https://b.example/c.woff')`, map)).toBe(
      `local(X), url( "http://pb.cb.localhost/a b.woff" ), url('http://pb.cb.localhost/c.woff')`,
    );
    expect(mapCssUrls('URL(https://b.example/x)', map)).toBe('URL(http://pb.cb.localhost/x)');
  });

  it('unescapes before mapping and escapes what it writes', () => {
    expect(mapCssUrls('url(https://b.example/a\\(1\\).ttf)', map)).toBe('url(http://pb.cb.localhost/a\\(1\\).ttf)');
    expect(mapCssUrls('url(https\\3a //b.example/x)', map)).toBe('url(http://pb.cb.localhost/x)');
  });

  it('skips comments, strings and URLs it does not map', () => {
    const text = '/* url(https://b.example/x) */ "url(https://b.example/y)" url(/rel.ttf) xurl(https://b.example/z)';
    expect(mapCssUrls(text, map)).toBe(text);
  });
});
