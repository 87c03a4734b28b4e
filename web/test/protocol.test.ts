import { describe, expect, it } from 'vitest';
import {
  note,
  watchAnswer,
  type ClientMessage,
  ProtocolError,
  act,
  actResult,
  chat,
  consent,
  control,
  encode,
  guide,
  end,
  events,
  hello,
  offerAnswer,
  parseOfferedFile,
  parseApiError,
  parseClientMessage,
  parseCreatedSession,
  parseOverlayAnswer,
  parseJoinedSession,
  parseServerMessage,
  resolveWsUrl,
} from '../src/protocol';
import { BAD_DIR, MESSAGES_DIR, load } from './fixtures';

const messages = load(MESSAGES_DIR);
const serverFixtures = messages.filter((f) => f.name.startsWith('server.'));
const clientFixtures = messages.filter((f) => f.name.startsWith('client.'));
const badFixtures = load(BAD_DIR);

/** Build the client message a fixture shows, with our constructors. */
function construct(obj: Record<string, unknown>): ClientMessage {
  switch (obj.t) {
    case 'hello':
      return hello(obj.token as string, obj.n as number | undefined);
    case 'consent':
      return consent(obj.allow as boolean);
    case 'events':
      return events(obj.events as never);
    case 'end':
      return end();
    case 'guide':
      return guide(obj.kind as never, obj.target as never, obj.points as never);
    case 'chat':
      return chat(obj.id as string, obj.text as string);
    case 'control':
      return control(obj.action as never, obj.reason as never);
    case 'act':
      return act(
        obj.ref as string,
        obj.kind as never,
        obj.target as never,
        obj.value as string,
        obj.dx as number,
        obj.dy as number,
      );
    case 'act_result':
      return actResult(obj.ref as string, obj.ok as boolean, obj.reason as string | null, obj.description as never);
    case 'offer_answer':
      return offerAnswer(obj.file_id as string, obj.accept as boolean);
    case 'note':
      return note(obj.id as string, obj.text as string);
    case 'watch_answer':
      return watchAnswer(obj.watcher as string, obj.allow as boolean);
    default:
      throw new Error(`no constructor for ${String(obj.t)}`);
  }
}

describe('golden fixtures', () => {
  it('finds fixtures of both directions', () => {
    expect(serverFixtures.length).toBeGreaterThanOrEqual(6);
    expect(clientFixtures.length).toBeGreaterThanOrEqual(4);
    expect(badFixtures.length).toBeGreaterThanOrEqual(5);
  });

  it.each(serverFixtures.map((f) => [f.name, f.text]))('parses %s', (_name, text) => {
    const parsed = parseServerMessage(text);
    expect(parsed).toEqual(JSON.parse(text));
  });

  it.each(clientFixtures.map((f) => [f.name, f.text]))('encodes %s exactly', (_name, text) => {
    const fixture = JSON.parse(text) as Record<string, unknown>;
    const message = construct(fixture);
    expect(JSON.parse(encode(message))).toEqual(fixture);
    expect(parseClientMessage(text)).toEqual(fixture);
  });

  it.each(clientFixtures.map((f) => [f.name, f.text]))('%s is not a server message', (_n, text) => {
    const t = (JSON.parse(text) as { t: string }).t;
    // Valid in both directions: events and act/act_result (relayed as sent); a guide
    // without `agent` reads as one from an unnamed agent.
    // offer_answer is relayed to the agent as sent.
    if (['events', 'act', 'act_result', 'guide', 'offer_answer'].includes(t)) return;
    expect(() => parseServerMessage(text)).toThrow(ProtocolError);
  });

  it.each(badFixtures.map((f) => [f.name, f.text]))('rejects bad %s', (_name, text) => {
    expect(() => parseClientMessage(text)).toThrow(ProtocolError);
    expect(() => parseServerMessage(text)).toThrow(ProtocolError);
  });
});

describe('parseServerMessage', () => {
  it('gives clear errors', () => {
    expect(() => parseServerMessage('{"v":1,"t":"welcome","role":"boss"}')).toThrow(/unknown role/);
    expect(() => parseServerMessage('{"v":1,"t":"state","state":"dancing","agent":null}')).toThrow(
      /unknown state/,
    );
    expect(() => parseServerMessage('{"v":1,"t":"ended"}')).toThrow(/reason/);
    expect(() => parseServerMessage('{"v":true,"t":"ended","reason":"x"}')).toThrow(/version/);
    expect(() => parseServerMessage('{"v":1}')).toThrow(/missing message type/);
    expect(() =>
      parseServerMessage('{"v":1,"t":"events","events":[{"type":1.5,"timestamp":1}]}'),
    ).toThrow(/integer type/);
    expect(() =>
      parseServerMessage('{"v":1,"t":"events","events":[{"type":1,"timestamp":"1"}]}'),
    ).toThrow(/numeric timestamp/);
  });

  it('accepts unknown end reasons and extra fields', () => {
    expect(parseServerMessage('{"v":1,"t":"ended","reason":"new_reason","x":1}')).toEqual({
      v: 1,
      t: 'ended',
      reason: 'new_reason',
    });
  });
});

describe('guidance, chat, control and act', () => {
  it('covers every new fixture', () => {
    const names = messages.map((f) => f.name);
    for (const t of ['guide', 'chat', 'control', 'act', 'act_result']) {
      expect(names.some((n) => n.startsWith(`client.${t}.`) || n === `client.${t}.json`)).toBe(true);
      expect(names.some((n) => n.startsWith(`server.${t}.`) || n === `server.${t}.json`)).toBe(true);
    }
    expect(names).toContain('server.chat_history.json');
  });
  it('checks guide targets and points like the server', () => {
    const ok = guide('pointer', { id: 0, x: 0, y: 1 });
    expect(parseClientMessage(encode(ok))).toEqual(ok);
    expect(() => parseClientMessage(encode(guide('pointer', { id: -1, x: 0, y: 0 })))).toThrow(/node id/);
    expect(() => parseClientMessage(encode(guide('pointer', { id: 1.5, x: 0, y: 0 })))).toThrow(/node id/);
    expect(() => parseClientMessage(encode(guide('pointer', { id: 1, x: 0, y: -0.1 })))).toThrow(/0\.\.1/);
    const many = Array.from({ length: 501 }, () => [0, 0] as const);
    expect(() => parseClientMessage(encode(guide('draw', null, many)))).toThrow(/at most 500/);
    expect(() => parseClientMessage('{"v":1,"t":"guide","kind":"draw","target":null,"points":[[1]]}')).toThrow(/pair/);
    expect(() => parseClientMessage('{"v":1,"t":"guide","kind":"draw","target":null,"points":[[true,1]]}')).toThrow(/number/);
    // points outside the box are fine (a stroke may leave its anchor element)
    expect(parseClientMessage(encode(guide('draw', null, [[-2, 3.5]]))).t).toBe('guide');
  });
  it('checks chat, control and act like the server', () => {
    expect(() => parseClientMessage(encode(chat('x', '   ')))).toThrow(/text/);
    expect(() => parseClientMessage(encode(chat('x', 'a'.repeat(2001))))).toThrow(/text/);
    expect(() => parseClientMessage(encode(chat('', 'hi')))).toThrow(/id/);
    expect(() => parseClientMessage(encode(chat('i'.repeat(65), 'hi')))).toThrow(/id/);
    expect(parseClientMessage(encode(control('revoke')))).toEqual(control('revoke'));
    expect(() => parseClientMessage(encode(act('r', 'input', null, 'x'.repeat(10001))))).toThrow(/value/);
    expect(() => parseClientMessage(encode(act('r', 'scroll', null, '', 0, 2e7)))).toThrow(/range/);
    expect(parseClientMessage('{"v":1,"t":"act","ref":"r","kind":"navigate","target":null,"value":"back"}')).toEqual(
      act('r', 'navigate', null, 'back'),
    );
    expect(() => parseClientMessage('{"v":1,"t":"act_result","ref":"r","ok":"yes","reason":null}')).toThrow(/ok/);
  });
  it('parses server chat, history and control', () => {
    expect(() => parseServerMessage('{"v":1,"t":"chat","seq":0,"id":"a","from":"agent","name":"A","text":"x","at":1}')).toThrow(/seq/);
    expect(() => parseServerMessage('{"v":1,"t":"chat","seq":1,"id":"a","from":"bot","name":"A","text":"x","at":1}')).toThrow(/from/);
    expect(() => parseServerMessage('{"v":1,"t":"chat_history","messages":{}}')).toThrow(/list/);
    expect(() => parseServerMessage('{"v":1,"t":"control","state":"owned"}')).toThrow(/state/);
    const g = parseServerMessage('{"v":1,"t":"guide","kind":"clear","target":null,"points":[],"agent":null}');
    expect(g).toEqual({ v: 1, t: 'guide', kind: 'clear', target: null, points: [], agent: null });
  });
});

describe('resume after a drop', () => {
  const welcome = {
    v: 1,
    t: 'welcome',
    role: 'agent',
    session_id: 's',
    state: 'active',
    agent: null,
    pin_display: null,
    expires_at: null,
  };
  it('covers the resume fixtures', () => {
    const names = messages.map((f) => f.name);
    for (const n of [
      'server.synced.json',
      'server.welcome.resumed.json',
      'client.hello.resume.json',
      'server.events.numbered.json',
      'server.chat.numbered.json',
    ]) {
      expect(names).toContain(n);
    }
    const text = (name: string): string => messages.find((f) => f.name === name)!.text;
    expect(parseServerMessage(text('server.events.numbered.json'))).toMatchObject({ t: 'events', n: 40 });
    expect(parseServerMessage(text('server.welcome.resumed.json'))).toMatchObject({ n: 42, resumed: true });
    // A chat frame has both: its number in the log (n) and the chat message's (seq).
    expect(parseServerMessage(text('server.chat.numbered.json'))).toMatchObject({ t: 'chat', n: 9, seq: 3 });
  });
  it('reads a welcome without n and resumed as a fresh start at 0', () => {
    expect(parseServerMessage(JSON.stringify(welcome))).toEqual({ ...welcome, n: 0, resumed: false });
    expect(parseServerMessage(JSON.stringify({ ...welcome, n: 7, resumed: true }))).toEqual({ ...welcome, n: 7, resumed: true });
    expect(() => parseServerMessage(JSON.stringify({ ...welcome, n: -1 }))).toThrow(/\bn\b/);
    expect(() => parseServerMessage(JSON.stringify({ ...welcome, n: 1.5 }))).toThrow(/\bn\b/);
    expect(() => parseServerMessage(JSON.stringify({ ...welcome, resumed: 'yes' }))).toThrow(/resumed/);
  });
  it('parses synced', () => {
    expect(parseServerMessage('{"v":1,"t":"synced","n":0}')).toEqual({ v: 1, t: 'synced', n: 0 });
    expect(() => parseServerMessage('{"v":1,"t":"synced"}')).toThrow(/\bn\b/);
    expect(() => parseServerMessage('{"v":1,"t":"synced","n":"3"}')).toThrow(/\bn\b/);
    expect(() => parseServerMessage(`{"v":1,"t":"synced","n":${2 ** 53}}`)).toThrow(/\bn\b/);
  });
  it('keeps a valid n on numbered frames and rejects a bad one', () => {
    for (const body of [
      '"t":"control","state":"view"',
      '"t":"state","state":"active","agent":null',
      '"t":"act_result","ref":"r","ok":true,"reason":null',
      '"t":"snapshot_request"',
      '"t":"offer_answer","file_id":"f","accept":true',
      '"t":"chat","seq":3,"id":"a","from":"agent","name":"A","text":"x","at":1',
    ]) {
      const parsed = parseServerMessage(`{"v":1,"n":12,${body}}`);
      expect(parsed).toEqual({ ...JSON.parse(`{"v":1,${body}}`), n: 12 });
      expect(parseServerMessage(`{"v":1,${body}}`)).not.toHaveProperty('n');
      expect(parseServerMessage(`{"v":1,"n":null,${body}}`)).not.toHaveProperty('n');
      for (const bad of ['-1', '2.5', '"12"', 'true']) {
        expect(() => parseServerMessage(`{"v":1,"n":${bad},${body}}`)).toThrow(/\bn must/);
      }
    }
  });
  it('says hello with n only when there is one, checked like the server', () => {
    expect(hello('t')).toEqual({ v: 1, t: 'hello', token: 't' });
    expect(hello('t', null)).toEqual({ v: 1, t: 'hello', token: 't' });
    expect(hello('t', 0)).toEqual({ v: 1, t: 'hello', token: 't', n: 0 });
    expect(parseClientMessage('{"v":1,"t":"hello","token":"t","n":null}')).toEqual(hello('t'));
    for (const bad of ['-1', '1.5', '"3"', 'true', `${2 ** 53}`]) {
      expect(() => parseClientMessage(`{"v":1,"t":"hello","token":"t","n":${bad}}`)).toThrow(/\bn must/);
    }
  });
});

describe('documents', () => {
  it('covers the offer fixtures', () => {
    const names = messages.map((f) => f.name);
    for (const n of ['client.offer_answer.json', 'server.offer.json', 'server.offer_answer.json', 'server.offer_ready.json']) {
      expect(names).toContain(n);
    }
    expect(badFixtures.map((f) => f.name)).toContain('offer_answer_not_bool.json');
  });
  it('checks offer_answer like the server', () => {
    expect(parseClientMessage(encode(offerAnswer('f_1', false)))).toEqual(offerAnswer('f_1', false));
    expect(() => parseClientMessage('{"v":1,"t":"offer_answer","file_id":"f_1","accept":1}')).toThrow(/accept/);
    expect(() => parseClientMessage(encode(offerAnswer('', true)))).toThrow(/file_id/);
    expect(() => parseClientMessage(encode(offerAnswer('f'.repeat(65), true)))).toThrow(/file_id/);
    expect(() => parseClientMessage('{"v":1,"t":"offer","file_id":"f"}')).toThrow(/unknown message type/);
  });
  it('checks offer and offer_ready', () => {
    const offer = { v: 1, t: 'offer', file_id: 'f', name: 'a.pdf', size: 10, type: 'application/pdf', agent: { name: 'A' } };
    expect(parseServerMessage(JSON.stringify(offer))).toEqual(offer);
    expect(() => parseServerMessage(JSON.stringify({ ...offer, size: -1 }))).toThrow(/size/);
    expect(() => parseServerMessage(JSON.stringify({ ...offer, size: 1.5 }))).toThrow(/size/);
    expect(() => parseServerMessage(JSON.stringify({ ...offer, size: '10' }))).toThrow(/size/);
    expect(() => parseServerMessage(JSON.stringify({ ...offer, name: '' }))).toThrow(/name/);
    expect(() => parseServerMessage(JSON.stringify({ ...offer, type: null }))).toThrow(/type/);
    expect(parseServerMessage(JSON.stringify({ ...offer, agent: null }))).toEqual({ ...offer, agent: null });
    const ready = { v: 1, t: 'offer_ready', file_id: 'f', url: 'https://cb.example/files/T' };
    expect(parseServerMessage(JSON.stringify(ready))).toEqual(ready);
    expect(() => parseServerMessage(JSON.stringify({ ...ready, url: '/files/T' }))).toThrow(/absolute/);
    expect(() => parseServerMessage(JSON.stringify({ ...ready, url: 'javascript:alert(1)' }))).toThrow(/http/);
  });
  it('parses the upload answer', () => {
    const body = { file_id: 'f_1', name: 'a.pdf', size: 3, type: 'application/pdf' };
    expect(parseOfferedFile(body)).toEqual(body);
    expect(() => parseOfferedFile({ ...body, size: 'x' })).toThrow(ProtocolError);
    expect(() => parseOfferedFile(null)).toThrow(ProtocolError);
  });
});

describe('parseClientMessage mirrors the server', () => {
  it('limits token length', () => {
    expect(() => parseClientMessage(encode(hello('')))).toThrow(/token/);
    expect(() => parseClientMessage(encode(hello('x'.repeat(257))))).toThrow(/token/);
    expect(parseClientMessage(encode(hello('x'.repeat(256))))).toEqual(hello('x'.repeat(256)));
  });
  it('rejects server-only types', () => {
    expect(() => parseClientMessage('{"v":1,"t":"welcome"}')).toThrow(/unknown message type/);
  });
});

describe('REST answers', () => {
  const created = {
    session_id: 's_1',
    pin: '123456',
    pin_display: '123 456',
    expires_at: 1764000600.5,
    visitor_token: 'vt_x',
    ws_url: 'ws://127.0.0.1:8000/ws',
    masking: { selectors: ['input[type=password]', '[data-cobrowse-mask]'] },
    grace_seconds: 30,
  };
  it('parses a created session', () => {
    expect(parseCreatedSession(created)).toEqual({
      ...created,
      masking: { ...created.masking, scopes: [], patterns: [] },
      mode: 'inline',
      recording: false,
    });
    expect(parseCreatedSession({ ...created, recording: true }).recording).toBe(true);
    expect(parseCreatedSession({ ...created, recording: 'yes' }).recording).toBe(false);
    expect(parseCreatedSession({ ...created, mode: 'proxy' }).mode).toBe('proxy');
    expect(parseCreatedSession({ ...created, mode: 'other' }).mode).toBe('inline');
    expect(() => parseCreatedSession({ ...created, visitor_token: 1 })).toThrow(ProtocolError);
  });
  it('parses an overlay answer', () => {
    const answer = {
      src: 'http://pabc.cobrowse.localhost:8000/__cobrowse/enter?ticket=T&to=%2F',
      proxy_origin: 'http://pabc.cobrowse.localhost:8000',
    };
    expect(parseOverlayAnswer(answer)).toEqual({ ...answer, handoff: null });
    const handoff = { path: '/__cobrowse/continue', ticket: 'H' };
    expect(parseOverlayAnswer({ ...answer, handoff })).toEqual({ ...answer, handoff });
    for (const path of ['//evil.example/x', 'https://evil.example/x', '/a/', '', '/a b']) {
      expect(() => parseOverlayAnswer({ ...answer, handoff: { ...handoff, path } })).toThrow(ProtocolError);
    }
    expect(() => parseOverlayAnswer({ ...answer, proxy_origin: 'http://other.localhost' })).toThrow(
      ProtocolError,
    );
    expect(() =>
      parseOverlayAnswer({ src: 'javascript:alert(1)', proxy_origin: 'null' }),
    ).toThrow(ProtocolError);
    expect(() => parseOverlayAnswer({ src: '/relative', proxy_origin: 'x' })).toThrow(ProtocolError);
  });
  it('parses a join answer', () => {
    const joined = { session_id: 's', agent_token: 'at', ws_url: '/ws', agent: { name: 'Asha' } };
    expect(parseJoinedSession(joined)).toEqual(joined);
  });
  it('parses error bodies', () => {
    expect(parseApiError({ error: { code: 'invalid_pin', message: 'm' } })).toEqual({
      code: 'invalid_pin',
      message: 'm',
    });
    expect(parseApiError({ detail: 'x' })).toBeNull();
  });
  it('resolves ws urls', () => {
    expect(resolveWsUrl('/ws', 'https://cb.example/')).toBe('wss://cb.example/ws');
    expect(resolveWsUrl('ws://h:1/ws', 'https://cb.example/')).toBe('ws://h:1/ws');
    expect(resolveWsUrl('http://h:1/ws', 'https://cb.example/')).toBe('ws://h:1/ws');
  });
});

describe('supervision: notes, participants, hand-over, transfer', () => {
  const text = (name: string): string => messages.find((f) => f.name === name)!.text;
  it('parses every supervision fixture', () => {
    expect(parseServerMessage(text('server.note.json'))).toMatchObject({ t: 'note', n: 12, seq: 1, from: 'watcher' });
    expect(parseServerMessage(text('server.note_history.json'))).toMatchObject({ t: 'note_history' });
    expect(parseServerMessage(text('server.participants.json'))).toEqual({
      v: 1,
      t: 'participants',
      n: 7,
      watching: [{ name: 'Meera Iyer' }],
      asking: [{ id: 'w_Zk3pQ9xLm2a', name: 'Ravi Kumar' }],
    });
    expect(parseServerMessage(text('server.handed_over.json'))).toMatchObject({ how: 'taken_over', agent: { name: 'Meera Iyer' } });
    expect(parseServerMessage(text('server.transfer.json'))).toMatchObject({ state: 'offered', to: { name: 'Ravi Kumar' } });
    expect(parseClientMessage(text('client.note.json'))).toEqual(note('n-1764000000-1', 'Ask her for the acknowledgement number first.'));
    expect(parseClientMessage(text('client.watch_answer.json'))).toEqual(watchAnswer('w_Zk3pQ9xLm2a', true));
  });
  it('refuses malformed supervision frames like the server', () => {
    expect(() => parseServerMessage('{"v":1,"t":"note","seq":1,"id":"a","from":"visitor","name":"A","text":"x","at":1}')).toThrow(/from/);
    expect(() => parseServerMessage('{"v":1,"t":"participants","watching":{},"asking":[]}')).toThrow(/lists/);
    expect(() => parseServerMessage('{"v":1,"t":"handed_over","agent":{"name":"A"},"how":"stolen"}')).toThrow(/how/);
    expect(() => parseServerMessage('{"v":1,"t":"transfer","state":"maybe","to":{"name":"A"}}')).toThrow(/state/);
    expect(() => parseClientMessage('{"v":1,"t":"note","id":"a","text":"  "}')).toThrow(/text/);
    expect(() => parseClientMessage('{"v":1,"t":"watch_answer","watcher":"w","allow":"yes"}')).toThrow(/allow/);
  });
});
