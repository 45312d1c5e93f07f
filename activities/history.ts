// One person's listening history from the media server into the store: a thin adapter heartbeating how many
// tracks were read. Idempotent: the store replaces the person's rows with what the server reports now.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Config } from '../lib/config.ts';
import type { Pool } from '../lib/db.ts';
import { getUser } from '../lib/store/users.ts';
import { syncUserHistory } from '../providers/media/history-sync.ts';
import type { MediaProvider } from '../providers/media/provider.ts';
import type { SyncListeningHistoryInput, SyncListeningHistoryResult } from '../contracts/listening-history.ts';
import { FailureType } from '../words/failure-types.ts';
import { mapFailures } from './failures.ts';

export function createHistoryActivities(deps: { pool: Pool; config: Config; media: () => Promise<MediaProvider> }) {
  return {
    async syncUserListeningHistory(input: SyncListeningHistoryInput): Promise<SyncListeningHistoryResult> {
      return mapFailures(async () => {
        const media = await deps.media();
        const user = await getUser(deps.pool, media.type, input.userId);
        if (!user)
          throw ApplicationFailure.create({
            type: FailureType.invalidInput,
            message: `syncListeningHistory input userId: no ${media.type} user with id ${input.userId}`,
            nonRetryable: true,
          });
        const ctx = Context.current();
        ctx.heartbeat({ read: 0 });
        return syncUserHistory(deps.pool, media, user, deps.config.userCredentialsKey, (read) =>
          ctx.heartbeat({ read }),
        );
      });
    },
  };
}

export type HistoryActivities = ReturnType<typeof createHistoryActivities>;
