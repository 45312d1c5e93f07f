// The Navidrome stand-in against a real Navidrome's answers: test/fixtures/navidrome/ holds what Navidrome
// 0.56.1 answered to every call in cases.ts (how it was built, run and recorded: the README there). The same
// calls, in the same order, go to the stand-in over a library like the recorded one; each answer must have the
// recorded HTTP status, content type and error code, and every key Navidrome sent (OpenSubsonic's additions
// included) with the same JSON type, arrays by all their elements; a few values must be equal too (what a
// playlist keeps of the ids sent, its owner).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { subsonicToken } from '../../providers/media/navidrome.ts';
import {
  callFixtureCase,
  FIXTURE_CASES,
  fixtureParams,
  type FixtureAnswer,
  type FixtureIds,
} from '../fixtures/navidrome/cases.ts';
import { diffShapes, jsonShape } from '../helpers/json-shape.ts';
import { startNavidromeStandin, type NavidromeStandin } from '../standins/navidrome.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'navidrome');

const creds = { user: 'admin', password: 'sesame', otherUser: 'bob', otherPassword: 'bobpass', apiKey: 'an-api-key' };

let tmp: string;
let standin: NavidromeStandin;
before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'audiomuse-nd-fixtures-'));
  const file = (name: string) => {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, randomBytes(2048));
    return f;
  };
  // As recorded: two tagged albums and a file without tags, newest first "Pushover Themes".
  standin = await startNavidromeStandin({
    user: creds.user,
    password: creds.password,
    otherUsers: [{ user: creds.otherUser, password: creds.otherPassword }],
    albums: [
      {
        name: 'Pushover Themes',
        artist: 'Pushover Team',
        year: 2006,
        genre: 'Game',
        created: '2026-12-01T23:38:40.228Z',
        songs: ['Aztec', 'Space', 'Greek'].map((title, i) => ({
          title,
          track: i + 1,
          discNumber: 1,
          duration: 12,
          file: file(`${title}.ogg`),
        })),
      },
      {
        name: '[Unknown Album]',
        artist: '[Unknown Artist]',
        created: '2026-12-01T23:38:40.219Z',
        songs: [{ title: 'feelings', duration: 12, file: file('feelings.ogg') }],
      },
      {
        name: 'Fret Sessions',
        artist: 'Muldjord',
        year: 2004,
        genre: 'Metal',
        created: '2026-12-01T23:38:40.214Z',
        songs: ['Armygeddon', 'Chaos God'].map((title, i) => ({
          title,
          track: i + 1,
          discNumber: 1,
          duration: 12,
          file: file(`${title}.ogg`),
        })),
      },
    ],
  });
});
after(async () => {
  await standin?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const inner = (body: unknown) =>
  (body as { 'subsonic-response'?: Record<string, unknown> } | null)?.['subsonic-response'] ?? undefined;
const mediaType = (h: Record<string, string>) => (h['content-type'] ?? '').split(';')[0].trim();
/** The value at a shape path ("playlists.playlist[].songCount": every element's). */
function valuesAt(json: unknown, p: string): unknown[] {
  let values: unknown[] = [json];
  for (const part of p.split('.')) {
    const [key, each] = [part.replace(/\[\]$/, ''), part.endsWith('[]')];
    values = values.map((v) => (v as Record<string, unknown> | undefined)?.[key]);
    if (each) values = values.flatMap((v) => (Array.isArray(v) ? v : [v]));
  }
  return values;
}

test('every fixture file belongs to a case, and every case has its file', () => {
  const files = fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
  assert.deepEqual(files, FIXTURE_CASES.map((c) => c.name).sort());
});

test("the stand-in answers every recorded call as Navidrome 0.56.1 did: status, error code, Navidrome's keys and types", async () => {
  const ids: FixtureIds = {};
  const problems: Record<string, string[]> = {};
  for (const c of FIXTURE_CASES) {
    const real = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${c.name}.json`), 'utf8')) as FixtureAnswer;
    let params: URLSearchParams;
    try {
      params = fixtureParams(c, ids, creds, subsonicToken, randomBytes(6).toString('hex'));
    } catch (err) {
      problems[c.name] = [(err as Error).message]; // an id an earlier (failed) call should have given
      continue;
    }
    const got = await callFixtureCase(standin.url, c, params);
    const found: string[] = [];
    if (got.httpMethod !== real.request.httpMethod)
      found.push(`sent as ${got.httpMethod}, recorded as ${real.request.httpMethod}`);
    if (got.status !== real.status) found.push(`HTTP ${got.status}, Navidrome ${real.status}`);
    if (mediaType(got.headers) !== mediaType(real.headers))
      found.push(`content-type ${got.headers['content-type']}, Navidrome ${real.headers['content-type']}`);
    for (const h of ['x-total-count', 'content-length']) {
      if (h in got.headers !== h in real.headers)
        found.push(`${h} ${got.headers[h] ?? 'missing'}, Navidrome ${real.headers[h] ?? 'none'}`);
    }
    const [a, b] = [inner(real.body), inner(got.body)];
    if (a) {
      if (!b) {
        found.push(`no subsonic-response: ${JSON.stringify(got.body).slice(0, 120)}`);
      } else {
        for (const key of ['status', 'version', 'type', 'serverVersion', 'openSubsonic']) {
          if (typeof b[key] !== typeof a[key])
            found.push(`envelope ${key}: ${JSON.stringify(b[key])}, Navidrome ${JSON.stringify(a[key])}`);
        }
        if (b.status !== a.status) found.push(`status ${String(b.status)}, Navidrome ${String(a.status)}`);
        const code = (r: Record<string, unknown>) => (r.error as { code?: number } | undefined)?.code;
        if (code(b) !== code(a)) found.push(`error code ${code(b)}, Navidrome ${code(a)}`);
        const diff = diffShapes(jsonShape(a), jsonShape(b));
        found.push(...diff.missing.map((p) => `missing ${p}`), ...diff.wrongType.map((w) => `type of ${w}`));
        for (const p of c.sameValues ?? []) {
          const [va, vb] = [valuesAt(a, p), valuesAt(b, p)];
          if (JSON.stringify(va) !== JSON.stringify(vb))
            found.push(`${p} = ${JSON.stringify(vb)}, Navidrome ${JSON.stringify(va)}`);
        }
        if (c.learn && b.status === 'ok') c.learn(b, ids);
      }
    } else if (typeof real.body !== typeof got.body) {
      found.push(
        `body ${JSON.stringify(got.body).slice(0, 120)}, Navidrome ${JSON.stringify(real.body).slice(0, 120)}`,
      );
    }
    if (found.length) problems[c.name] = found;
  }
  assert.deepEqual(problems, {}, 'differences from Navidrome, by case');
});
