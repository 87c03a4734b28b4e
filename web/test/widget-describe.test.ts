// @vitest-environment happy-dom
/**
 * The widget forwards the overlay frame's act results (proxy mode): the description for
 * the audit log gets the value patterns once more before it leaves, like the frame's
 * events do.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GuidanceHandler } from '../src/widget/guidance';
import type { OverlayCoordinator } from '../src/widget/proxy-mode';
import type { WidgetUi } from '../src/widget/ui';
import { Masker } from '../src/masking/masker';
import { effective, parseMaskRules } from '../src/masking/rules';
import { translator } from '../src/i18n';
import { type ClientMessage, act } from '../src/protocol';
import { REPO } from './fixtures';

const golden = JSON.parse(readFileSync(join(REPO, 'tests', 'fixtures', 'masking', 'golden.json'), 'utf8')) as {
  rules: { site: unknown };
};

describe('act results forwarded from the overlay frame', () => {
  it('carry no value a pattern masks, whatever the frame said', () => {
    const sent: ClientMessage[] = [];
    const posted: unknown[] = [];
    const masker = new Masker(effective(parseMaskRules(golden.rules.site), '/home'));
    const ui = { toast: () => undefined } as unknown as WidgetUi;
    const overlay = {
      framed: () => true,
      postable: true,
      post: (message: unknown) => posted.push(message),
    } as unknown as OverlayCoordinator;
    const handler = new GuidanceHandler(
      {
        doc: document,
        ui,
        tr: translator('en'),
        session: () => null,
        active: () => true,
        send: (message) => sent.push(message) > 0,
        pageMasker: () => masker,
        recorder: () => null,
        renderExtras: () => undefined,
      },
      overlay,
    );
    handler.setControl('control');
    const pan = 'QWERT' + String(1000 + Math.floor(Math.random() * 9000)) + 'Z';
    handler.onAct(act('a1', 'click', { id: 3, x: 0.5, y: 0.5 }));
    expect(posted).toHaveLength(1);
    handler.onFrameResult({
      cobrowse: 1,
      type: 'act_result',
      ref: 'a1',
      ok: true,
      reason: null,
      label: 'Pay',
      description: `button “Pay ${pan} to a.b@example.in”`,
    });
    expect(sent).toEqual([
      { v: 1, t: 'act_result', ref: 'a1', ok: true, reason: null, description: 'button “Pay ********** to …' },
    ]);
  });
});
