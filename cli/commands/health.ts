// `audiomuse health`: the same JSON as GET /api/health; exit code 1 when a part is down.
import type { Client } from '@temporalio/client';
import { loadConfig } from '../../lib/config.ts';
import { cliPool } from '../database.ts';
import { resolveEndpoints } from '../../lib/endpoints.ts';
import { checkHealth } from '../../lib/health.ts';
import { connectClient } from '../../lib/temporal.ts';
import { createMediaProvider } from '../../providers/media/index.ts';

export async function run(args: string[]): Promise<number> {
  const unknown = args.filter((a) => a !== '--deep');
  if (unknown.length) throw new Error(`unknown argument ${unknown[0]}; usage: audiomuse health [--deep]`);
  const config = loadConfig();
  const { temporalAddress } = resolveEndpoints(config);
  const pool = cliPool(config);
  let client: Client | undefined;
  try {
    client = await connectClient(temporalAddress, config.temporal.namespace, config.temporal.security).catch(
      () => undefined,
    );
    const health = await checkHealth({
      pool,
      client,
      temporalAddress,
      taskQueue: config.temporal.taskQueue,
      roundTrip: args.includes('--deep'),
      media: await createMediaProvider(config),
    });
    console.log(JSON.stringify(health));
    return health.ok ? 0 : 1;
  } finally {
    await client?.connection.close();
    await pool.end();
  }
}
