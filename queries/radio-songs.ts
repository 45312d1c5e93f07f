// The songs a radio's recipe gives now, from the same request-time queries the listening routes answer with
// (similar songs, alchemy, a person's fingerprint, a song path). The worker builds one per process over one
// similarity library, kept fresh by the vector log, and hands it to the refresh activity.
import type { Pool } from '../lib/db.ts';
import type { VectorScope } from '../lib/store/vectors.ts';
import type { RadioRecipe, RadioSongs } from '../contracts/radios.ts';
import { AlchemyQueries, ALCHEMY_MAX_N } from './alchemy.ts';
import { SonicFingerprintQueries, UnknownUserError } from './sonic-fingerprint.ts';
import { SimilarityQueries, UnknownSongError } from './similarity.ts';
import { SUBTRACT_DISTANCE } from '../engines/similarity/alchemy.ts';

export class RadioSongQueries {
  private readonly similarity: SimilarityQueries;

  constructor(
    private readonly pool: Pool,
    private readonly scope: Omit<VectorScope, 'trackIds'>,
  ) {
    this.similarity = new SimilarityQueries(pool, scope);
  }

  /** At most `size` item ids; none, with the reason, when the recipe names nothing analysed here. */
  async songs(source: string, recipe: RadioRecipe, size: number): Promise<RadioSongs> {
    if (source !== this.scope.source)
      return {
        trackIds: [],
        reason: `the radio belongs to the ${source} source, this worker serves ${this.scope.source}`,
      };
    try {
      return { trackIds: (await this.pick(recipe, size)).slice(0, size) };
    } catch (err) {
      if (err instanceof UnknownSongError || err instanceof UnknownUserError)
        return { trackIds: [], reason: err.message };
      throw err;
    }
  }

  private async pick(recipe: RadioRecipe, size: number): Promise<string[]> {
    switch (recipe.kind) {
      case 'instantMix': {
        // Each seed's neighbours, taken in turn, so every seed is heard.
        const lists = await Promise.all(
          recipe.seeds.map((itemId) =>
            this.similarity.similarTracks({ itemId, n: size, eliminateDuplicates: true, radius: false }),
          ),
        );
        const seeds = new Set(recipe.seeds);
        const out = new Set<string>();
        for (let k = 0; out.size < size && lists.some((l) => k < l.length); k++)
          for (const l of lists) if (l[k] && !seeds.has(l[k].item_id)) out.add(l[k].item_id);
        return [...out];
      }
      case 'alchemy': {
        const answer = await new AlchemyQueries(this.pool, this.scope.source, this.similarity).alchemy({
          items: recipe.items,
          n: Math.min(size, ALCHEMY_MAX_N),
          temperature: recipe.temperature ?? 1,
          subtractDistance: SUBTRACT_DISTANCE,
          eliminateDuplicates: true,
          filters: {},
        });
        return answer.results.map((s) => s.item_id);
      }
      case 'fingerprint': {
        const fp = new SonicFingerprintQueries(this.pool, this.scope, this.similarity);
        const answer = await fp.generate({
          user: { id: recipe.userId, field: 'recipe.userId' },
          n: size,
          includeSeeds: false,
          eliminateDuplicates: true,
          filters: {},
        });
        if (!answer.songs.length) throw new UnknownSongError(`user ${recipe.userId} has played no analysed song yet`);
        return answer.songs.map((s) => s.item_id);
      }
      case 'path': {
        const { path } = await this.similarity.findPath({
          startId: recipe.startId,
          endId: recipe.endId,
          length: size,
          onePerArtist: false,
          variety: 1,
          seed: 1,
        });
        return path.map((s) => s.item_id);
      }
    }
  }
}
