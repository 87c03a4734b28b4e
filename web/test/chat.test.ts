// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { ChatLog, ChatView, newChatId } from '../src/chat';
import type { ChatEntry } from '../src/protocol';

const entry = (seq: number, from: 'visitor' | 'agent', text = `m${seq}`, id = `${from}-${seq}`): ChatEntry => ({
  seq,
  id,
  from,
  name: from === 'agent' ? 'Asha Rao' : 'Visitor',
  text,
  at: 1764000000 + seq,
});

describe('ChatLog', () => {
  it('dedupes by seq across history and live frames, in order', () => {
    const log = new ChatLog('visitor');
    expect(log.add([entry(2, 'agent'), entry(1, 'visitor')]).map((e) => e.seq)).toEqual([1, 2]);
    expect(log.add([entry(2, 'agent')])).toEqual([]);
    expect(log.add([entry(1, 'visitor'), entry(2, 'agent'), entry(3, 'agent')]).map((e) => e.seq)).toEqual([3]);
    expect(log.entries.map((e) => e.seq)).toEqual([1, 2, 3]);
  });
  it('keeps own sends pending until the server echoes them', () => {
    const log = new ChatLog('agent');
    expect(log.send('a-1', '   ')).toBeNull();
    log.send('a-1', 'Hello');
    log.send('a-2', 'Again');
    expect(log.pending.map((p) => p.id)).toEqual(['a-1', 'a-2']);
    log.add([entry(1, 'agent', 'Hello', 'a-1')]);
    expect(log.pending.map((p) => p.id)).toEqual(['a-2']);
  });
  it('counts unread messages from the other side since the read mark', () => {
    const log = new ChatLog('visitor', 1);
    log.add([entry(1, 'agent'), entry(2, 'visitor'), entry(3, 'agent'), entry(4, 'agent')]);
    expect(log.unread).toBe(2);
    expect(log.markRead()).toBe(4);
    expect(log.unread).toBe(0);
  });
  it('makes unique ids of at most 64 characters', () => {
    const a = newChatId('v');
    expect(a).not.toBe(newChatId('v'));
    expect(a.length).toBeLessThanOrEqual(64);
    expect(a.startsWith('v-')).toBe(true);
  });
});

describe('ChatView', () => {
  it('has a log, a field labelled Message and a Send button', () => {
    const send = vi.fn();
    const view = new ChatView(document, { self: 'visitor', idPrefix: 't', send });
    document.body.append(view.root);
    expect(view.log.getAttribute('role')).toBe('log');
    const label = view.root.querySelector('label')!;
    expect(label.textContent).toBe('Message');
    expect(label.htmlFor).toBe(view.input.id);
    expect(view.button.textContent).toBe('Send');
    view.input.value = 'Hi there';
    view.root.querySelector('form')!.dispatchEvent(new Event('submit', { cancelable: true }));
    expect(send).toHaveBeenCalledWith('Hi there');
    expect(view.input.value).toBe('');
    view.input.value = '  ';
    view.root.querySelector('form')!.dispatchEvent(new Event('submit', { cancelable: true }));
    expect(send).toHaveBeenCalledOnce();
  });
  it('renders each seq once, in order, naming the sender', () => {
    const view = new ChatView(document, { self: 'visitor', idPrefix: 't2', send: () => undefined });
    view.render([entry(1, 'visitor', 'Hello'), entry(3, 'agent', 'Third')]);
    view.render([entry(2, 'agent', 'Second'), entry(3, 'agent', 'Third')]);
    const msgs = [...view.log.querySelectorAll('.cb-chat-msg')].map((n) => n.textContent);
    expect(msgs).toEqual(['YouHello', 'Asha RaoSecond', 'Asha RaoThird']);
    view.reset();
    expect(view.log.querySelectorAll('.cb-chat-msg')).toHaveLength(0);
  });
});
