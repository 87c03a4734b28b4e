/** The console's two languages: the same keys and placeholders, the choice rules, the glossary's words. */
import { describe, expect, it } from 'vitest';
import { EN, HI, type Key, chooseConsoleLang, translate } from '../src/console/i18n';

const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();

describe('console i18n', () => {
  it('has every key in Hindi, with the same placeholders', () => {
    expect(Object.keys(HI).sort()).toEqual(Object.keys(EN).sort());
    for (const key of Object.keys(EN) as Key[]) {
      expect(placeholders(HI[key]), key).toEqual(placeholders(EN[key]));
      expect(HI[key].trim(), key).not.toBe('');
    }
  });
  it('chooses the stored language, else the browser’s first English or Hindi, else English', () => {
    expect(chooseConsoleLang('hi', ['en-US'])).toBe('hi');
    expect(chooseConsoleLang('en', ['hi-IN'])).toBe('en');
    expect(chooseConsoleLang(null, ['hi-IN', 'en'])).toBe('hi');
    expect(chooseConsoleLang(null, ['fr-FR', 'hi'])).toBe('hi');
    expect(chooseConsoleLang('xx', ['ta-IN'])).toBe('en');
    expect(chooseConsoleLang(null, [])).toBe('en');
  });
  it('fills placeholders', () => {
    expect(translate('hi', 'showChatUnread', { n: 2 })).toBe('चैट दिखाएँ (2 अपठित)');
    expect(translate('en', 'toolOn', { tool: 'Draw' })).toBe('Draw is on (once). Escape: back to Pointer.');
  });
  it('keeps the English contract names and "ended" in every ending', () => {
    expect([EN.pin, EN.join, EN.leave, EN.requestControl]).toEqual(['PIN', 'Join', 'Leave', 'Request control']);
    for (const key of Object.keys(EN) as Key[]) if (key.startsWith('ended')) expect(EN[key], key).toContain('ended');
  });
  it('uses the glossary’s words (docs/hindi.md): पृष्ठ, not पेज; no coined सह-ब्राउज़िंग', () => {
    for (const text of Object.values(HI)) {
      expect(text).not.toContain('पेज');
      expect(text).not.toContain('सह-ब्राउज़िंग');
    }
    expect(HI.sessionTitle).toContain('सत्र');
  });
});
