// `audiomuse index rebuild [--wait] | status`: the similarity index's checkpoint (the rebuildVectorIndex workflow).
import { loadConfig } from '../../lib/config.ts';
import { libraryMapScope } from '../../queries/library-map.ts';
import { startVectorIndexBuild, vectorIndexBuildProgress } from '../../client/vector-index.ts';
import { cliClient } from '../database.ts';

const USAGE = 'usage: audiomuse index rebuild [--wait] | status';

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if ((sub !== 'rebuild' && sub !== 'status') || rest.some((a) => a !== '--wait')) throw new Error(USAGE);
  const config = loadConfig();
  const scope = libraryMapScope(config);
  const client = await cliClient(config);
  try {
    if (sub === 'status') {
      console.log(JSON.stringify((await vectorIndexBuildProgress(client, scope)) ?? { status: 'none' }));
      return 0;
    }
    const workflowId = await startVectorIndexBuild(client, config.temporal.taskQueue, { ...scope, mode: 'rebuild' });
    console.log(JSON.stringify({ workflowId }));
    if (rest.includes('--wait')) console.log(JSON.stringify(await client.workflow.getHandle(workflowId).result()));
    return 0;
  } finally {
    await client.connection.close();
  }
}
