/** The events family: rrweb event batches (both directions) and the server's snapshot request. */
import { ProtocolError, type RecordedEvent, VERSION, isObject } from './common';

export interface ClientEventsMessage {
  readonly v: 1;
  readonly t: 'events';
  readonly events: readonly RecordedEvent[];
}
export interface ServerEventsMessage {
  readonly v: 1;
  readonly t: 'events';
  readonly events: readonly RecordedEvent[];
}
export interface SnapshotRequestMessage {
  readonly v: 1;
  readonly t: 'snapshot_request';
}

export const events = (list: readonly RecordedEvent[]): ClientEventsMessage => ({
  v: VERSION,
  t: 'events',
  events: list,
});

/** Check a list of rrweb events: objects with an integer `type` and a numeric `timestamp`. */
export function checkEvents(value: unknown): RecordedEvent[] {
  if (!Array.isArray(value)) throw new ProtocolError('events must be a list');
  value.forEach((event: unknown, index) => {
    if (!isObject(event)) throw new ProtocolError(`event ${index} is not an object`);
    if (typeof event.type !== 'number' || !Number.isInteger(event.type)) {
      throw new ProtocolError(`event ${index} has no integer type`);
    }
    if (typeof event.timestamp !== 'number' || !Number.isFinite(event.timestamp)) {
      throw new ProtocolError(`event ${index} has no numeric timestamp`);
    }
  });
  return value as RecordedEvent[];
}
