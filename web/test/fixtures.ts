import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MESSAGES_DIR = join(REPO, 'tests', 'fixtures', 'messages');
export const BAD_DIR = join(REPO, 'tests', 'fixtures', 'bad_messages');

export interface Fixture {
  readonly name: string;
  readonly text: string;
}

export function load(dir: string): Fixture[] {
  return readdirSync(dir)
    .sort()
    .map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
}
