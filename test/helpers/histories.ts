// Workflow histories as tests read and store them: every run of a workflow (following the continue-as-new
// chain), and Temporal's JSON form of a history (what `temporal workflow show --output json` prints).
import { createRequire } from 'node:module';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

export type History = proto.temporal.api.history.v1.IHistory;
export type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
export const EventType = proto.temporal.api.enums.v1.EventType;

/** The history of each run of `workflowId`, from `firstRunId` through every continue-as-new, in order. */
export async function runHistories(
  client: Client,
  workflowId: string,
  firstRunId: string,
): Promise<{ runId: string; history: History }[]> {
  const runs: { runId: string; history: History }[] = [];
  let runId: string | undefined = firstRunId;
  while (runId) {
    const history: History = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.push({ runId, history });
    const events = history.events ?? [];
    const last: HistoryEvent | undefined = events[events.length - 1];
    runId =
      last?.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
        ? (last.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined)
        : undefined;
  }
  return runs;
}

// The SDK's historyToJSON / historyFromJSON (@temporalio/common/lib/proto-utils) throw "type must be a Type" in
// this install: npm hoists protobufjs 7 (for @grpc/proto-loader) and gives @temporalio/common and
// @temporalio/proto a copy of protobufjs 8 each, so common's protojson rejects proto's types (instanceof).
// The same conversion with the protobufjs that @temporalio/proto itself resolves works in any layout.
const protoRequire = createRequire(createRequire(import.meta.url).resolve('@temporalio/proto'));
const protojson = protoRequire('protobufjs/ext/protojson') as {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): History | null;
};
const { patchProtobufRoot } = protoRequire('@temporalio/proto/lib/patch-protobuf-root') as {
  patchProtobufRoot<T>(root: T): T & { lookupType(name: string): unknown };
};
const historyType = patchProtobufRoot(proto).lookupType('temporal.api.history.v1.History');

/** A history as Temporal's proto JSON text. */
export function historyToJson(history: History): string {
  return JSON.stringify(
    protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history)),
    null,
    2,
  );
}

/** A history from Temporal's proto JSON (as written by historyToJson or `temporal workflow show --output json`). */
export function historyFromJson(json: unknown): History {
  const history = protojson.fromJson(historyType, json, { ignoreUnknownFields: true });
  if (!history) throw new TypeError('not a workflow history');
  return history;
}
