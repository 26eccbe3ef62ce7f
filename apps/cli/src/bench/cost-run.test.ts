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

  it("says when the idle stack was measured after a VACUUM ANALYZE did the earlier load's upkeep", () => {
    const idle = costRunFixture.idle!;
    expect(renderCostRun(costRunFixture)).toContain('**Idle** (30 s, nothing flowing):');
    const vacuumed = { ...costRunFixture, idle: { ...idle, upkeepSeconds: 2.4 } };
    expect(renderCostRun(vacuumed)).toContain(
      "**Idle** (30 s, nothing flowing, measured after a VACUUM ANALYZE did the earlier load's upkeep (2.4 s)",
    );
  });

  it('says when the rates were measured after a warm-up, and says nothing of one when there was none', () => {
    expect(renderCostRun(costRunFixture)).not.toContain('warm-up');
    expect(renderCostRun({ ...costRunFixture, warmUp: { perSecond: 100, seconds: 10 } })).toContain(
      'Each rate is measured after a warm-up of 10 s at 100 orders/s that is not counted',
    );
  });

  it("states the background's niceness, the default for reports from before it was a choice", () => {
    expect(renderCostRun(costRunFixture)).toContain('the relay and the consumers at nice 10, as in `make run`.');
    expect(renderCostRun({ ...costRunFixture, backgroundNice: 0 })).toContain(
      'the relay and the consumers at nice 0 (SURETY_BACKGROUND_NICE).',
    );
  });
});
