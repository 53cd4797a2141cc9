// format.js: durations, relative times, clock and date formats, percentages,
// structured progress and JSON pretty-printing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  clampPercent, fmtClock, fmtClockMs, fmtCount, fmtDateTime, fmtDuration, fmtNumber, fmtPercent,
  fmtRelative, fmtStructured, fmtTotal, pad, parseTime, prettyJson,
} from '../../../tools/opsd/web/format.js';

describe('fmtDuration', () => {
  test('no value is a dash', () => {
    for (const v of [null, undefined, NaN, Infinity]) assert.equal(fmtDuration(v), '–');
  });
  test('negative durations are zero', () => assert.equal(fmtDuration(-500), '0ms'));
  test('milliseconds below a second, rounded', () => {
    assert.equal(fmtDuration(0), '0ms');
    assert.equal(fmtDuration(12.6), '13ms');
    assert.equal(fmtDuration(999), '999ms');
  });
  test('tenths of seconds below ten seconds', () => {
    assert.equal(fmtDuration(1000), '1.0s');
    assert.equal(fmtDuration(1250), '1.3s');
    assert.equal(fmtDuration(9999), '10.0s');
  });
  test('whole seconds below a minute', () => {
    assert.equal(fmtDuration(10000), '10s');
    assert.equal(fmtDuration(59999), '59s');
  });
  test('minutes and seconds, hours and minutes, days and hours', () => {
    assert.equal(fmtDuration(60000), '1m 0s');
    assert.equal(fmtDuration(61000), '1m 1s');
    assert.equal(fmtDuration(3599000), '59m 59s');
    assert.equal(fmtDuration(3600000), '1h 0m');
    assert.equal(fmtDuration((23 * 60 + 59) * 60000), '23h 59m');
    assert.equal(fmtDuration(86400000), '1d 0h');
    assert.equal(fmtDuration((3 * 24 + 5) * 3600000 + 59 * 60000), '3d 5h');
  });
});

describe('fmtRelative', () => {
  const now = Date.UTC(2026, 2, 14, 12, 0, 0);
  const ago = (ms) => new Date(now - ms);
  test('no date is a dash', () => assert.equal(fmtRelative(null, now), '–'));
  test('under five seconds either way is just now', () => {
    assert.equal(fmtRelative(ago(0), now), 'just now');
    assert.equal(fmtRelative(ago(4999), now), 'just now');
    assert.equal(fmtRelative(ago(-4999), now), 'just now');
  });
  test('past times in the largest whole unit', () => {
    assert.equal(fmtRelative(ago(5000), now), '5s ago');
    assert.equal(fmtRelative(ago(59999), now), '59s ago');
    assert.equal(fmtRelative(ago(60000), now), '1m ago');
    assert.equal(fmtRelative(ago(3599999), now), '59m ago');
    assert.equal(fmtRelative(ago(3600000), now), '1h ago');
    assert.equal(fmtRelative(ago(86399999), now), '23h ago');
    assert.equal(fmtRelative(ago(2 * 86400000), now), '2d ago');
  });
  test('future times', () => {
    assert.equal(fmtRelative(ago(-90000), now), 'in 1m');
    assert.equal(fmtRelative(ago(-7200000), now), 'in 2h');
  });
  test('defaults to the current time', () => {
    assert.equal(fmtRelative(new Date(Date.now() - 120000)), '2m ago');
  });
});

describe('clock and date', () => {
  // Built from local fields: the formats show local time, whatever TZ is.
  const date = new Date(2026, 0, 2, 3, 4, 5, 7);
  test('pad', () => {
    assert.equal(pad(5), '05');
    assert.equal(pad(12), '12');
    assert.equal(pad(7, 3), '007');
  });
  test('fmtClock', () => assert.equal(fmtClock(date), '03:04:05'));
  test('fmtClockMs', () => assert.equal(fmtClockMs(date), '03:04:05.007'));
  test('fmtDateTime', () => {
    assert.equal(fmtDateTime(date), '2026-01-02 03:04:05');
    assert.equal(fmtDateTime(new Date(2026, 11, 31, 23, 59, 59)), '2026-12-31 23:59:59');
    assert.equal(fmtDateTime(null), '–');
  });
  test('parseTime', () => {
    assert.equal(parseTime(''), null);
    assert.equal(parseTime(null), null);
    assert.equal(parseTime('2026-03-14T09:00:00.250000Z').getTime(), Date.UTC(2026, 2, 14, 9, 0, 0, 250));
  });
});

describe('percentages and progress', () => {
  test('fmtPercent rounds, and is null without a percent', () => {
    assert.equal(fmtPercent(42.4), '42%');
    assert.equal(fmtPercent(42.5), '43%');
    assert.equal(fmtPercent(0), '0%');
    assert.equal(fmtPercent(100), '100%');
    assert.equal(fmtPercent(null), null);
    assert.equal(fmtPercent(undefined), null);
    assert.equal(fmtPercent('50'), null);
  });
  test('clampPercent keeps bars within 0..100', () => {
    assert.equal(clampPercent(-3), 0);
    assert.equal(clampPercent(37.5), 37.5);
    assert.equal(clampPercent(140), 100);
  });
  test('fmtStructured', () => {
    assert.equal(fmtStructured({ progress: null }), null);
    assert.equal(fmtStructured({}), null);
    assert.equal(fmtStructured({ progress: { current: 312, total: 1000, unit: 'rows' } }),
      fmtNumber(312) + ' / ' + fmtNumber(1000) + ' rows');
    assert.equal(fmtStructured({ progress: { current: 7, total: null, unit: '' } }), '7');
    assert.equal(fmtStructured({ progress: { current: 0, total: 0, unit: 'files' } }), '0 / 0 files');
  });
  test('fmtNumber groups digits as the locale does', () => {
    assert.equal(fmtNumber(1234567), (1234567).toLocaleString());
    assert.equal(fmtNumber('42'), '42');
  });
});

describe('prettyJson', () => {
  test('indents JSON by two spaces', () => {
    assert.equal(prettyJson('{"a":1,"b":[true]}'), '{\n  "a": 1,\n  "b": [\n    true\n  ]\n}');
  });
  test('leaves anything else as it came', () => {
    assert.equal(prettyJson('not json {'), 'not json {');
    assert.equal(prettyJson(''), '');
  });
});

describe('fmtCount and fmtTotal', () => {
  const counts = {
    counts: { Pending: 0, Running: 3, Succeeded: 10000, Failed: 7, Canceled: 0, Stalled: 1 },
    total: 10011, at_most: 10000, more: ['Succeeded'],
  };
  test('a status counted past at_most shows a plus', () => {
    assert.equal(fmtCount(counts, 'Succeeded'), (10000).toLocaleString() + '+');
    assert.equal(fmtCount(counts, 'Failed'), '7');
  });
  test('an exact answer (no "more") shows plain numbers', () => {
    assert.equal(fmtCount({ counts: { Failed: 7 } }, 'Failed'), '7');
    assert.equal(fmtTotal({ counts: { Failed: 7, Running: 2 } }, []).text, '9');
  });
  test('a total is bounded when any status in it is', () => {
    assert.equal(fmtTotal(counts, []).text, (10011).toLocaleString() + '+');
    assert.equal(fmtTotal(counts, ['Failed', 'Running']).text, '10');
    assert.equal(fmtTotal(counts, ['Failed', 'Succeeded']).n, 10007);
  });
});
