// The People panel: the media server's users with an "Add" button each (GET /api/users/server), the people
// whose listening history is followed with their track counts, and "Sync" / "Fingerprint" / "Remove" per
// person (the fingerprint's songs shown with the listening results' table and save form).
import { api, type SongAt } from './api.ts';
import { byId, h } from './dom.ts';
import { showError, showStatus, songResult } from './song-list.ts';

interface ServerUser {
  id: string;
  name: string;
  admin?: boolean;
}
interface Person {
  id: string;
  name: string;
  serverUserId: string | null;
  historyTracks: number;
  historyUpdatedAt: string | null;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function showPeople(): Promise<void> {
  const root = byId('people-panel');
  const status = h('p', { id: 'people-status', class: 'message', role: 'status', 'aria-live': 'polite' });
  const followed = h('ul', { id: 'people-followed', class: 'saved-playlists', 'aria-label': 'People followed' });
  const server = h('ul', { id: 'people-server', class: 'saved-playlists', 'aria-label': "The media server's users" });
  const fingerprint = h('div', { id: 'people-fingerprint', 'aria-live': 'polite' });
  root.replaceChildren(followed, fingerprint, h('h3', {}, "The media server's users"), server, status);
  const say = (text: string) => (status.textContent = text);

  const act = async (what: string, work: () => Promise<string>) => {
    say(`${what}…`);
    try {
      say(await work());
    } catch (err) {
      say(`${what} failed: ${messageOf(err)}`);
    }
    await refresh();
  };

  // The person's sonic fingerprint: songs like what they play most, weighted by recency (docs/similarity.md).
  const showFingerprint = async (p: Person) => {
    const note = h('p', { class: 'message', role: 'status' }, `Finding ${p.name}'s sonic fingerprint…`);
    fingerprint.replaceChildren(h('h3', {}, `${p.name}'s sonic fingerprint`), note);
    try {
      const songs = await api<SongAt[]>(`/api/sonic_fingerprint/generate?user_id=${encodeURIComponent(p.id)}&n=50`);
      showStatus(
        note,
        songs.length
          ? `${songs.length} songs, the ones they play first`
          : 'No analysed song in their history yet: sync it first.',
      );
      fingerprint.append(
        ...songResult(`fp-${p.id}`, songs, { distanceLabel: 'distance', playlistName: `${p.name} fingerprint` }),
      );
    } catch (err) {
      showError(note, err);
    }
  };

  const refresh = async () => {
    const people = await api<Person[]>('/api/users');
    const names = new Set(people.map((p) => p.name));
    followed.replaceChildren(
      ...(people.length
        ? people.map((p) =>
            h(
              'li',
              {},
              `${p.name}: ${p.historyTracks} tracks in their history`,
              ' ',
              h(
                'button',
                {
                  type: 'button',
                  class: 'secondary',
                  onclick: () =>
                    void act(`Syncing ${p.name}`, async () => {
                      const r = await api<{ read: number; stored: number; unknown: number }>(
                        `/api/users/${p.id}/sync`,
                        { method: 'POST' },
                      );
                      return `${p.name}: ${r.stored} of ${r.read} tracks stored (${r.unknown} not in the library)`;
                    }),
                },
                'Sync',
              ),
              ' ',
              h(
                'button',
                {
                  type: 'button',
                  class: 'secondary',
                  onclick: () => void showFingerprint(p),
                },
                'Fingerprint',
              ),
              ' ',
              h(
                'button',
                {
                  type: 'button',
                  class: 'secondary',
                  onclick: () =>
                    void act(`Removing ${p.name}`, async () => {
                      await api(`/api/users/${p.id}`, { method: 'DELETE' });
                      return `${p.name} removed with their history (their playlists stay on the server)`;
                    }),
                },
                'Remove',
              ),
            ),
          )
        : [h('li', { class: 'meta' }, 'Nobody yet: add a user below.')]),
    );
    let answer: { users: ServerUser[]; message?: string };
    try {
      answer = await api<{ users: ServerUser[]; message?: string }>('/api/users/server');
    } catch (err) {
      server.replaceChildren(h('li', { class: 'meta' }, messageOf(err)));
      return;
    }
    const users = answer.users;
    if (answer.message) server.replaceChildren(h('li', { class: 'meta' }, answer.message));
    else
      server.replaceChildren(
        ...users
          .filter((u) => !names.has(u.name))
          .map((u) =>
            h(
              'li',
              {},
              u.name,
              ' ',
              h(
                'button',
                {
                  type: 'button',
                  onclick: () =>
                    void act(`Adding ${u.name}`, async () => {
                      await api('/api/users', { method: 'POST', body: { name: u.name, serverUserId: u.id } });
                      return `${u.name} added: press Sync to read their history`;
                    }),
                },
                'Add',
              ),
            ),
          ),
      );
  };
  await refresh().catch((err: unknown) => say(messageOf(err)));
}
