import { describe, expect, it } from 'vitest';
import { renderCostRun } from './cost-run.js';
import { costRunFixture } from './test-fixtures.js';

describe('renderCostRun', () => {
  it('prints one row per rate from the measured values, and the idle stack', () => {
    const result = costRunFixture;
    const text = renderCostRun(result);
    expect(text).toContain('0.041 cores busy');
    expect(text).toContain('api-1 0.4 %');
    expect(text).toContain(
      '| 20 | 197/200 | 3 × 503 | 7 / 41 | 31 / 180 | 0.2 | 31.4 | 120 | 6.5 | 2.3 | 15000 | 2 | 4 |',
    );
    expect(text).toContain('| 100 | 997/1000 |');
    expect(text).toContain('| 100 | 1.25 | 0.5 |');
  });

  it('says when the idle stack was measured after waiting for autovacuum, and when autovacuum still ran', () => {
    const idle = costRunFixture.idle!;
    expect(renderCostRun(costRunFixture)).toContain('**Idle** (30 s, nothing flowing):');
    const waited = { ...costRunFixture, idle: { ...idle, autovacuumWaitSeconds: 12.3, autovacuumStillRunning: false } };
    expect(renderCostRun(waited)).toContain("once autovacuum had finished the earlier load's upkeep, 12.3 s later");
    const gaveUp = { ...costRunFixture, idle: { ...idle, autovacuumWaitSeconds: 90, autovacuumStillRunning: true } };
    expect(renderCostRun(gaveUp)).toContain('autovacuum still ran after 90 s of waiting, so its work is counted');
  });

  it("states the background's niceness, the default for reports from before it was a choice", () => {
    expect(renderCostRun(costRunFixture)).toContain('the relay and the consumers at nice 10, as in `make run`.');
    expect(renderCostRun({ ...costRunFixture, backgroundNice: 0 })).toContain(
      'the relay and the consumers at nice 0 (SURETY_BACKGROUND_NICE).',
    );
  });
});
