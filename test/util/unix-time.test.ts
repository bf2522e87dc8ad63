import { describe, expect, it } from 'vitest';
import { compileCustomerModel } from '../../connector/model';
import { deletionRecord } from '../../connector/pipeline/records';
import { layoutOf, parseConfig } from '../../connector';
import { isoFromMillis, isoFromSeconds } from '../../connector/util/unix-time';

describe('instants as text, one way everywhere', () => {
  it('unix seconds as ISO 8601 in UTC, milliseconds only when there are any', () => {
    expect(isoFromSeconds(1_706_695_200)).toBe('2024-01-31T10:00:00Z');
    expect(isoFromSeconds(0)).toBe('1970-01-01T00:00:00Z');
    expect(isoFromMillis(1_706_695_200_250)).toBe('2024-01-31T10:00:00.250Z');
  });

  it('a deletion’s _ab_cdc_deleted_at reads as the Customer Model writes a datetime', () => {
    const model = compileCustomerModel([{ name: 'at', type: 'datetime' }]);
    const modelled = model.convertValue('at', 1_706_695_200);
    const pipeline = parseConfig({ api_key: 'sk_test_time' }).pipelines[0]!;
    const deletion = deletionRecord(layoutOf(pipeline), 'cus_1', 1_706_695_200);
    expect(modelled).toEqual({ ok: true, value: '2024-01-31T10:00:00Z' });
    expect(deletion._ab_cdc_deleted_at).toBe('2024-01-31T10:00:00Z');
  });
});
