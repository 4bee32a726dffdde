import { LIMITS } from '@strongroom/bridge/protocol';
import { describe, expect, it } from 'vitest';
import { pruneStep } from './retention';

describe('pruneStep (how many entries the count retention prunes at a time)', () => {
  it('is the checkpoint interval at the default count, so boundaries fall on checkpoints', () => {
    expect(pruneStep(LIMITS.maxAuditEntries)).toBe(LIMITS.auditCheckpointEvery);
  });

  it('is a tenth of a lower count, and at least 1', () => {
    expect(pruneStep(50)).toBe(5);
    expect(pruneStep(9)).toBe(1);
    expect(pruneStep(1)).toBe(1);
  });
});
