/**
 * Reads Airbyte messages (JSON lines) from a file, validates every line against the official
 * protocol schema, and prints a JSON summary the smoke test asserts on. Exits 1 on any invalid line.
 *   tsx test/docker/messages.ts FILE
 */
import { readFileSync } from 'node:fs';
import { protocolErrors } from '../support/protocol-schema';

const lines = readFileSync(process.argv[2] as string, 'utf8')
  .split('\n')
  .filter((line) => line.trim());
const summary = {
  lines: lines.length,
  types: {} as Record<string, number>,
  records: {} as Record<string, number>,
  deletions: 0,
  statuses: [] as string[],
  errors: [] as string[],
  connectionStatus: undefined as string | undefined,
  streams: [] as string[],
  lastStates: {} as Record<string, unknown>,
  sample: {} as Record<string, unknown>,
  /** Types of the messages printed after the last STATE (a clean stop prints no RECORD there). */
  afterLastState: [] as string[],
};
let invalid = 0;
for (const line of lines) {
  let message: any;
  try {
    message = JSON.parse(line);
  } catch {
    console.error(`not JSON: ${line.slice(0, 200)}`);
    invalid++;
    continue;
  }
  const errors = protocolErrors(message);
  if (errors) {
    console.error(`invalid message: ${line.slice(0, 200)}\n  ${errors}`);
    invalid++;
  }
  summary.types[message.type] = (summary.types[message.type] ?? 0) + 1;
  if (message.type === 'STATE') summary.afterLastState = [];
  else summary.afterLastState.push(message.type);
  if (message.type === 'RECORD') {
    const { stream, data } = message.record;
    summary.records[stream] = (summary.records[stream] ?? 0) + 1;
    summary.sample[stream] ??= data;
    if (data.is_deleted || data._stripe_is_deleted) summary.deletions++;
  } else if (message.type === 'STATE') {
    summary.lastStates[message.state.stream.stream_descriptor.name] = {
      type: 'STREAM',
      stream: message.state.stream,
    };
  } else if (message.type === 'TRACE' && message.trace.type === 'STREAM_STATUS') {
    summary.statuses.push(
      `${message.trace.stream_status.stream_descriptor.name}:${message.trace.stream_status.status}`,
    );
  } else if (message.type === 'TRACE' && message.trace.type === 'ERROR') {
    summary.errors.push(message.trace.error.message);
  } else if (message.type === 'CONNECTION_STATUS') {
    summary.connectionStatus = message.connectionStatus.status;
  } else if (message.type === 'CATALOG') {
    summary.streams = message.catalog.streams.map((stream: { name: string }) => stream.name);
  }
}
console.log(JSON.stringify({ ...summary, lastStates: Object.values(summary.lastStates) }));
process.exitCode = invalid > 0 ? 1 : 0;
