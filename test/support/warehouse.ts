import type { Message } from './connector';

/**
 * What a deduplicating destination (Airbyte's append + dedup) ends up with: per primary key, the
 * row with the highest cursor value wins, ties going to the row extracted last; a winning row
 * marked deleted removes the key. Applying runs in order is what the platform does.
 */
export class DedupWarehouse {
  private readonly latest = new Map<string, { version: number; data: Record<string, any> }>();

  constructor(
    private readonly keys: { id: string; cursor: string; deleted: string } = {
      id: 'id',
      cursor: 'updated',
      deleted: 'is_deleted',
    },
  ) {}

  apply(messages: Message[]): this {
    for (const message of messages) {
      if (message.type !== 'RECORD') continue;
      const data = message.record.data as Record<string, any>;
      const id = data[this.keys.id] as string;
      const version = data[this.keys.cursor] as number;
      if (typeof version !== 'number') throw new Error(`record ${id} has no numeric cursor`);
      const known = this.latest.get(id);
      if (!known || version >= known.version) this.latest.set(id, { version, data });
    }
    return this;
  }

  /** The live rows: deletions applied. */
  get rows(): Map<string, Record<string, any>> {
    const rows = new Map<string, Record<string, any>>();
    for (const [id, { data }] of this.latest) if (!data[this.keys.deleted]) rows.set(id, data);
    return rows;
  }

  clone(): DedupWarehouse {
    const copy = new DedupWarehouse(this.keys);
    for (const [id, row] of this.latest) copy.latest.set(id, row);
    return copy;
  }
}
