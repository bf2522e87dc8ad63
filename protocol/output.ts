import type { Writable } from 'node:stream';
import { redactSecrets } from '../connector';
import type {
  AirbyteMessage,
  AirbyteStateMessage,
  FailureType,
  LogLevel,
  StreamDescriptor,
  StreamStatus,
} from './messages';

/** Lines are encoded straight into chunks of this size: no joining, one UTF-8 encoding each. */
const CHUNK_BYTES = 512 * 1024;

/**
 * A STATE line is what makes progress durable, so one is never held in the buffer for longer than
 * this: a slow stream (few records, rate-limited re-fetches) still shows its progress to the
 * platform, and a kill loses at most this much work.
 */
const CHECKPOINT_DELAY_MS = 1_000;

/**
 * Writes protocol messages as JSON lines. Lines are encoded into a chunk buffer, and a full chunk
 * is written out and waits for the stream to drain, so a slow reader of stdout (the platform)
 * slows the connector down instead of letting memory grow. Every non-record line passes the
 * secret scrubber: whatever a message holds, no API key leaves the process.
 */
export class MessageWriter {
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private lastFlushAt: number;
  /** Flushes a STATE left in the buffer once it has waited CHECKPOINT_DELAY_MS. */
  private checkpointTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: Writable,
    private readonly secrets: string[] = [],
    private readonly clock: () => number = Date.now,
  ) {
    this.lastFlushAt = clock();
  }

  /** Registers a secret (the config's API key) to scrub from every non-record line. */
  addSecret(secret: string): void {
    this.secrets.push(secret);
  }

  async write(message: AirbyteMessage): Promise<void> {
    await this.push(redactSecrets(JSON.stringify(message), this.secrets));
  }

  /**
   * The hot path: one RECORD line per customer, assembled around the record's JSON instead of
   * serialising a wrapper object. Records are not scrubbed: they hold Stripe's data, never config.
   */
  record(stream: string, data: Record<string, unknown>, emittedAt: number): Promise<void> {
    return this.push(
      `{"type":"RECORD","record":{"stream":${JSON.stringify(stream)},"data":${JSON.stringify(data)},"emitted_at":${emittedAt}}}`,
    );
  }

  /** A STATE message: written like any line, and flushed when the buffer has waited too long. */
  async checkpoint(state: AirbyteStateMessage): Promise<void> {
    await this.write({ type: 'STATE', state });
    const waited = this.clock() - this.lastFlushAt;
    if (waited >= CHECKPOINT_DELAY_MS) await this.flush();
    else if (!this.checkpointTimer) {
      // Nothing else may come for a while (a slow window of events): send it on time anyway.
      this.checkpointTimer = setTimeout(() => void this.flush(), CHECKPOINT_DELAY_MS - waited);
      this.checkpointTimer.unref();
    }
  }

  private async push(line: string): Promise<void> {
    // Worst case 3 bytes per UTF-16 unit, plus the newline.
    if (this.used + line.length * 3 + 1 > this.chunk.length) {
      await this.flush();
      if (line.length * 3 + 1 > this.chunk.length) {
        await this.send(Buffer.from(`${line}\n`, 'utf8'));
        return;
      }
    }
    this.used += this.chunk.write(line, this.used, 'utf8');
    this.chunk[this.used++] = 0x0a;
  }

  async flush(): Promise<void> {
    this.lastFlushAt = this.clock();
    clearTimeout(this.checkpointTimer);
    this.checkpointTimer = undefined;
    if (this.used === 0) return;
    const full = this.chunk.subarray(0, this.used);
    // The stream may hold on to the written buffer: the next lines go into a fresh one.
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
    await this.send(full);
  }

  private async send(bytes: Buffer): Promise<void> {
    if (!this.out.write(bytes)) {
      await new Promise<void>((resolve) => this.out.once('drain', resolve));
    }
  }

  log(level: LogLevel, message: string): Promise<void> {
    return this.write({ type: 'LOG', log: { level, message } });
  }

  streamStatus(stream: StreamDescriptor, status: StreamStatus): Promise<void> {
    return this.write({
      type: 'TRACE',
      trace: {
        type: 'STREAM_STATUS',
        emitted_at: Date.now(),
        stream_status: { stream_descriptor: stream, status },
      },
    });
  }

  error(
    message: string,
    failureType: FailureType,
    extra: { internal?: string; stream?: StreamDescriptor } = {},
  ): Promise<void> {
    return this.write({
      type: 'TRACE',
      trace: {
        type: 'ERROR',
        emitted_at: Date.now(),
        error: {
          message,
          failure_type: failureType,
          ...(extra.internal ? { internal_message: extra.internal } : {}),
          ...(extra.stream ? { stream_descriptor: extra.stream } : {}),
        },
      },
    });
  }
}
