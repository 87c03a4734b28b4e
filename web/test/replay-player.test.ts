// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { type RecordEntry, chatLines, markers, replayEvents } from '../src/console/replay-player';

const META = { type: 4, timestamp: 9_000, data: { href: 'https://portal.test/itr?x=1', width: 1, height: 1 } };
const FULL = { type: 2, timestamp: 9_010, data: {} };
const INC = (ts: number) => ({ type: 3, timestamp: ts, data: { source: 0 } });
const RECORDS: RecordEntry[] = [
  { at: 100, to: 'agent', frame: { t: 'events', events: [META, FULL] } },
  { at: 101, to: 'agent', frame: { t: 'control', state: 'requested' } },
  { at: 102, to: 'agent', frame: { t: 'control', state: 'control' } },
  { at: 103, to: 'visitor', frame: { t: 'act', kind: 'click' } },
  { at: 104, to: 'agent', frame: { t: 'act_result', ok: false, reason: 'masked' } },
  { at: 105, to: 'agent', frame: { t: 'chat', name: 'Visitor', text: 'hello' } },
  { at: 106, to: 'agent', frame: { t: 'events', events: [INC(50), INC(70)] } },
  { at: 107, to: 'agent', frame: { t: 'control', state: 'view' } },
];

describe('the recording player', () => {
  it('stamps page data with the relay time, keeping spacing within a batch and the order', () => {
    const stamps = replayEvents(RECORDS).map((e) => e.timestamp);
    expect(stamps).toEqual([99_990, 100_000, 105_980, 106_000]);
  });

  it('marks page loads, control, acts, refusals and chat', () => {
    expect(markers(RECORDS).map((m) => [m.at, m.kind, m.label])).toEqual([
      [100_000, 'page', 'Page loaded: /itr'],
      [101_000, 'control', 'Control requested'],
      [102_000, 'control', 'Control granted'],
      [103_000, 'act', 'Agent act: click'],
      [104_000, 'refusal', 'Act refused: masked'],
      [105_000, 'chat', 'Chat from Visitor'],
      [107_000, 'control', 'Control revoked'],
    ]);
  });

  it('gives the chat transcript', () => {
    expect(chatLines(RECORDS)).toEqual([{ at: 105_000, name: 'Visitor', text: 'hello' }]);
  });
});
