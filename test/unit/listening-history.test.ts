// People's stored logins and scrobble files: the AES-256-GCM sealing (round trip, wrong key, another row, no
// key) and the ListenBrainz / Last.fm parsers with the artist + title matching.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../lib/config.ts';
import { CredentialsKeyError, openCredentials, parseCredentialsKey, sealCredentials } from '../../lib/credentials.ts';
import { matchScrobbles, normaliseName, parseScrobbles, ScrobbleFileError } from '../../engines/history/scrobbles.ts';

const key = randomBytes(32).toString('base64');
const login = { user: 'bob', password: 'bob-secret-1' };

describe('credentials sealed at rest', () => {
  test('round trip; the sealed bytes hold neither the password nor the user name', () => {
    const sealed = sealCredentials(key, 'navidrome\nbob', login);
    assert.ok(!sealed.toString('latin1').includes('bob-secret-1'));
    assert.ok(!sealed.toString('latin1').includes('"user"'));
    assert.deepEqual(openCredentials(key, 'navidrome\nbob', sealed), login);
    // A fresh IV each time: the same login never seals to the same bytes.
    assert.notDeepEqual(sealCredentials(key, 'navidrome\nbob', login), sealed);
  });

  test('a wrong key, another row or a flipped bit does not open, and the message names the variable', () => {
    const sealed = sealCredentials(key, 'navidrome\nbob', login);
    const other = randomBytes(32).toString('hex');
    assert.throws(() => openCredentials(other, 'navidrome\nbob', sealed), /USER_CREDENTIALS_KEY/);
    assert.throws(() => openCredentials(key, 'navidrome\nalice', sealed), CredentialsKeyError);
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1] ^= 1;
    assert.throws(() => openCredentials(key, 'navidrome\nbob', flipped), CredentialsKeyError);
  });

  test('without the key storing fails with one line naming USER_CREDENTIALS_KEY', () => {
    assert.throws(
      () => sealCredentials(undefined, 'navidrome\nbob', login),
      (err: Error) =>
        err instanceof CredentialsKeyError &&
        /^USER_CREDENTIALS_KEY is not set/.test(err.message) &&
        !err.message.includes('\n'),
    );
  });

  test('the key is 32 bytes of hex or base64; a bad one stops the configuration without showing it', () => {
    assert.equal(parseCredentialsKey('ab'.repeat(32)).length, 32);
    assert.equal(parseCredentialsKey(key).length, 32);
    assert.throws(() => parseCredentialsKey('too-short'), /32 bytes/);
    assert.throws(
      () => loadConfig({ MEDIA_SERVER_TYPE: 'local', USER_CREDENTIALS_KEY: 'c2hvcnQ=' }),
      (err: Error) =>
        err instanceof ConfigError && /USER_CREDENTIALS_KEY/.test(err.message) && !err.message.includes('c2hvcnQ'),
    );
    assert.equal(loadConfig({ MEDIA_SERVER_TYPE: 'local', USER_CREDENTIALS_KEY: key }).userCredentialsKey, key);
  });
});

describe('scrobble files', () => {
  test('ListenBrainz: JSON lines, a JSON array and an API payload; unix seconds become ISO dates', () => {
    const listen = (artist: string, title: string, at: number) => ({
      listened_at: at,
      track_metadata: { artist_name: artist, track_name: title },
    });
    const lines = [listen('Björk', 'Jóga', 1700000000), listen('Björk', 'Jóga', 1700003600), { track_metadata: {} }]
      .map((l) => JSON.stringify(l))
      .join('\n');
    const parsed = parseScrobbles(lines);
    assert.equal(parsed.format, 'listenbrainz');
    assert.equal(parsed.listens.length, 2);
    assert.equal(parsed.skipped, 1);
    assert.equal(parsed.listens[1].at, '2023-11-14T23:13:20.000Z');
    assert.equal(parseScrobbles(JSON.stringify([listen('A', 'B', 1)])).listens.length, 1);
    assert.equal(parseScrobbles(JSON.stringify({ payload: { listens: [listen('A', 'B', 1)] } })).listens.length, 1);
    assert.throws(() => parseScrobbles('{"a":1}\nnot json'), ScrobbleFileError);
  });

  test('Last.fm CSV: with a header, without one (artist, album, track, date), quoted commas', () => {
    const bare = parseScrobbles(
      '"Crosby, Stills & Nash",Album,"Suite: Judy Blue Eyes",31 Jan 2021 12:34\nAir,Moon Safari,La femme d\'argent,01 Feb 2021 08:00\n',
    );
    assert.equal(bare.format, 'lastfm-csv');
    assert.deepEqual(bare.listens[0], {
      artist: 'Crosby, Stills & Nash',
      title: 'Suite: Judy Blue Eyes',
      at: '2021-01-31T12:34:00.000Z',
    });
    const headed = parseScrobbles(
      'uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid\n1612166400,x,Air,,Moon Safari,,Sexy Boy,\n',
    );
    assert.deepEqual(headed.listens, [{ artist: 'Air', title: 'Sexy Boy', at: '2021-02-01T08:00:00.000Z' }]);
    assert.throws(() => parseScrobbles('   '), /empty/);
  });

  test('matching: case, accents and punctuation do not matter; brackets and feat. only when unambiguous', () => {
    assert.equal(normaliseName('  Björk & Friends!  '), 'bjork and friends');
    const library = [
      { itemId: 'a', artist: 'Björk', title: 'Jóga' },
      { itemId: 'b', artist: 'Air', title: 'Sexy Boy' },
      { itemId: 'c', artist: 'Daft Punk', title: 'One More Time' },
      { itemId: 'd', artist: 'Daft Punk', title: 'One More Time (Live)' },
    ];
    const m = matchScrobbles(
      [
        { artist: 'bjork', title: 'JOGA', at: '2021-01-01T00:00:00.000Z' },
        { artist: 'Björk', title: 'Jóga', at: '2022-01-01T00:00:00.000Z' },
        { artist: 'Air feat. Beth Hirsch', title: 'Sexy Boy (Remastered 2008)' },
        { artist: 'Daft Punk', title: 'One More Time (Radio Edit)' }, // two loose candidates: no match
        { artist: 'Nobody', title: 'Nothing' },
        { artist: 'Nobody', title: 'Nothing' },
      ],
      library,
    );
    assert.deepEqual(
      m.rows.sort((x, y) => x.itemId.localeCompare(y.itemId)),
      [
        { itemId: 'a', playCount: 2, lastPlayed: '2022-01-01T00:00:00.000Z' },
        { itemId: 'b', playCount: 1 },
      ],
    );
    assert.equal(m.matchedListens, 3);
    assert.equal(m.unmatchedListens, 3);
    assert.equal(m.unmatchedSongs, 2);
    assert.deepEqual(m.unmatched[0], { artist: 'Nobody', title: 'Nothing', listens: 2 });
  });
});
