// Activity of the optional AI naming: one stored playlist, named by the configured LLM from its centroid
// (top moods, tempo, energy) and a sample of its songs. Never fails the run: on any problem the tag name
// stays and the reason is recorded with the playlist.
import { Context } from '@temporalio/activity';
import type { Config } from '../lib/config.ts';
import type { Pool } from '../lib/db.ts';
import { playlistSongs, renamePlaylist, runPlaylists } from '../lib/store/clustering.ts';
import type { ClusteringPlan } from '../contracts/clustering.ts';
import type { CentroidProfile } from '../engines/clustering/postprocess.ts';
import { AUTOMATIC_SUFFIX, DEFAULT_NAMING, tempoBand } from '../engines/clustering/postprocess.ts';
import { DEFAULT_FEATURE_OPTIONS } from '../engines/clustering/features.ts';
import { createPlaylistNamer, nameWithAi, type NamingOutcome } from '../providers/naming/index.ts';

export interface NamingDeps {
  pool: Pool;
  config: Config;
}

export function createNamingActivities(deps: NamingDeps) {
  return {
    async nameClusteringPlaylist(input: {
      runId: string;
      playlistId: string;
      provider: ClusteringPlan['aiProvider'];
    }): Promise<NamingOutcome> {
      const playlists = await runPlaylists(deps.pool, input.runId);
      const p = playlists.find((x) => x.id === input.playlistId);
      if (!p) throw new Error(`playlist ${input.playlistId} is not in clustering run ${input.runId}`);
      const base = (name: string) => name.replace(AUTOMATIC_SUFFIX, '');
      let outcome: NamingOutcome;
      try {
        const namer = createPlaylistNamer({ ...deps.config.ai, provider: input.provider });
        if (!namer) return { name: base(p.name), source: 'tag', reason: 'AI naming is off' };
        const profile = p.profile as CentroidProfile;
        const [t0, t1] = DEFAULT_FEATURE_OPTIONS.tempoRange;
        outcome = await nameWithAi(
          namer,
          {
            tagName: base(p.name),
            topTags: Object.entries(profile.moods)
              .map(([label, score]) => ({ label, score }))
              .sort((a, b) => b.score - a.score)
              .slice(0, 5),
            tempoBand: tempoBand(profile.tempo, DEFAULT_NAMING.tempoThresholds),
            tempoBpm: Math.round(t0 + profile.tempo * (t1 - t0)),
            energy: profile.energy,
            songs: await playlistSongs(deps.pool, p.id, 20),
            takenNames: playlists.filter((x) => x.id !== p.id).map((x) => base(x.name)),
          },
          { signal: Context.current().cancellationSignal },
        );
      } catch (err) {
        if (Context.current().cancellationSignal.aborted) throw err;
        outcome = { name: base(p.name), source: 'tag', reason: (err as Error).message };
      }
      if (outcome.source === 'ai') {
        const part = AUTOMATIC_SUFFIX.exec(p.name)?.[1] ?? '';
        const name = `${outcome.name}_automatic${part}`;
        await renamePlaylist(deps.pool, p.id, name, 'ai');
        return { name, source: 'ai' }; // the name as published, suffix and part included
      }
      await renamePlaylist(deps.pool, p.id, p.name, 'tag', outcome.reason);
      return { name: p.name, source: 'tag', reason: outcome.reason };
    },
  };
}

export type NamingActivities = ReturnType<typeof createNamingActivities>;
