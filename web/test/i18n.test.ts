import { describe, expect, it } from 'vitest';
import { EN, HI, LANGS, TABLES, chooseLang, fmt, langOf, reasonKey, translator } from '../src/i18n';
import { describeAct } from '../src/guidance/act';
import { act } from '../src/protocol';

const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();

describe('string tables', () => {
  it('has every key, non-empty, in every language, with the same placeholders', () => {
    const keys = Object.keys(EN).sort();
    for (const lang of LANGS) {
      const table = TABLES[lang] as Record<string, string>;
      expect(Object.keys(table).sort()).toEqual(keys);
      for (const key of keys) {
        expect(typeof table[key]).toBe('string');
        expect(table[key]!.trim(), `${lang}.${key}`).not.toBe('');
        expect(placeholders(table[key]!), `${lang}.${key}`).toEqual(placeholders((EN as Record<string, string>)[key]!));
      }
    }
  });

  it('keeps the contract’s English accessible names', () => {
    expect([EN.launch, EN.allow, EN.deny, EN.stop, EN.allowControl, EN.denyControl, EN.takeBack]).toEqual([
      'Co-browse', 'Allow', 'Deny', 'Stop', 'Allow control', 'Deny', 'Take back control',
    ]);
    expect(EN.barLabel).toBe('Co-browsing');
  });

  it('has Hindi in Devanagari for every visible word', () => {
    expect(HI.launch).toBe('स्क्रीन साझा करें');
    expect(HI.allow).toBe('अनुमति दें');
    expect(HI.deny).toBe('अस्वीकार करें');
    expect(HI.stop).toBe('रोकें');
    for (const [key, value] of Object.entries(HI)) {
      expect(/[\u0900-\u097F]/.test(value) || key === 'overlayTitle', key).toBe(true);
    }
  });
});

describe('the Hindi wording (docs/hindi.md, "Widget")', () => {
  const hindi = Object.values(HI).join('\n');
  it('uses no coined "सह-ब्राउज़िंग", and पृष्ठ (never पेज) for a page', () => {
    expect(hindi).not.toContain('सह-ब्राउज़िंग');
    expect(hindi).not.toContain('पेज');
    expect(HI.thePage).toBe('पृष्ठ');
  });
  it('says what sharing means, and सत्र for a session', () => {
    expect(HI.launch).toBe('स्क्रीन साझा करें');
    expect(HI.barLabel).toBe('स्क्रीन साझा करना');
    expect(HI.sharingOn).toBe('यह टैब साझा हो रहा है');
    for (const key of ['endedStopped', 'endedAgentLeft', 'endedAgentGone', 'endedMax', 'endedAdmin'] as const) {
      expect(HI[key], key).toContain('सत्र');
    }
  });
  it('says लॉग इन as the portals do, not साइन इन', () => {
    expect(hindi).not.toContain('साइन इन');
    expect(HI.carryFailed).toContain('लॉग इन');
  });
});

describe('choosing the language', () => {
  it('prefers the site option, then the page lang, then the browser', () => {
    expect(chooseLang('hi', 'en', 'en-US')).toBe('hi');
    expect(chooseLang('en', 'hi', 'hi-IN')).toBe('en');
    expect(chooseLang(undefined, 'hi-IN', 'en-US')).toBe('hi');
    expect(chooseLang(undefined, 'en-IN', 'hi')).toBe('en');
    expect(chooseLang(undefined, '', 'hi-IN')).toBe('hi');
    expect(chooseLang(undefined, null, 'HI_in')).toBe('hi');
    expect(chooseLang('', '  ', 'en-GB')).toBe('en');
  });
  it('defaults to English for anything else', () => {
    expect(chooseLang(undefined, null, null)).toBe('en');
    expect(chooseLang(undefined, 'ta', 'hi')).toBe('en'); // the page says Tamil: not Hindi
    expect(chooseLang(42, null, 'fr')).toBe('en');
    expect(langOf('hi-Deva-IN')).toBe('hi');
    expect(langOf('x')).toBeNull();
  });
});

describe('translator', () => {
  it('fills placeholders and formats sizes', () => {
    expect(fmt('{a} and {b} {c}', { a: 1, b: 'x' })).toBe('1 and x {c}');
    const en = translator('en');
    expect(en.t('offerText', { name: 'Asha Rao', file: 'Form-16-guide.pdf', size: en.size(48213) })).toBe(
      'Asha Rao offers you a file: Form-16-guide.pdf (47 KB)',
    );
    expect(en.size(512)).toBe('512 bytes');
    expect(en.size(3 * 1024 * 1024 + 100)).toBe('3.0 MB');
    expect(translator('hi').size(10)).toBe('10 बाइट');
  });
  it('translates this module’s English messages, and leaves others alone', () => {
    const hi = translator('hi');
    expect(hi.local('Co-browsing ended')).toBe(HI.endedStopped);
    expect(hi.local('A helpdesk agent')).toBe(HI.unknownAgent);
    expect(hi.local('Some server message')).toBe('Some server message');
    expect(translator('en').local('Co-browsing ended')).toBe('Co-browsing ended');
  });
  it('describes actions in the visitor’s language', () => {
    const hi = translator('hi');
    const click = act('r', 'click', { id: 1, x: 0, y: 0 });
    expect(describeAct('Asha', click, { ok: true, reason: null, label: 'Save' })).toBe('Asha clicked “Save”');
    expect(describeAct('Asha', click, { ok: true, reason: null, label: 'Save' }, hi)).toBe('Asha ने “Save” पर क्लिक किया');
    expect(describeAct('Asha', click, { ok: false, reason: 'masked', label: 'a private field' })).toBe(
      'Asha could not use “a private field”: this field is private (masked), so the agent cannot use it.',
    );
    expect(describeAct('Asha', click, { ok: false, reason: 'file_input', label: 'Form 16' })).toBe(
      'Asha asks you to choose a file: click “Form 16” and pick the file yourself.',
    );
    expect(describeAct('Asha', click, { ok: false, reason: 'file_input', label: 'Form 16' }, hi)).toContain('फ़ाइल');
    expect(reasonKey('something new')).toBeNull();
    expect(describeAct('Asha', click, { ok: false, reason: 'something new', label: '' })).toBe(
      'Asha could not use the page: something new.',
    );
  });
});

describe('the pointer label crosses the bridge', () => {
  it('passes the translated label to the overlay frame, and drops a bad one', async () => {
    const { parseTopMessage } = await import('../src/bridge');
    const guide = { kind: 'pointer', target: { id: 1, x: 0, y: 0 }, points: [], name: 'Asha' };
    const label = translator('hi').t('pointerLabel', { name: 'Asha' });
    expect(label).toBe('Asha का पॉइंटर');
    expect(parseTopMessage({ cobrowse: 1, type: 'guide', guide: { ...guide, label } })).toEqual({
      cobrowse: 1,
      type: 'guide',
      guide: { ...guide, label },
    });
    expect(parseTopMessage({ cobrowse: 1, type: 'guide', guide: { ...guide, label: 7 } })).toEqual({
      cobrowse: 1,
      type: 'guide',
      guide,
    });
  });
});
