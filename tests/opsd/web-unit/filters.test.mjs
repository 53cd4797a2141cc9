// filters.js: the shared filter vectors through matchesFilter, the hash <->
// filter state, the API query, microsecond times and the list order.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';

import {
  apiQuery, filterFromHash, hashFor, matchesFilter, newerFirst, STATUSES, timeMicros,
} from '../../../tools/opsd/web/filters.js';

// The same file tests/opsd/filter_vectors_test.cpp runs through the C++ filter_from() and matches().
const vectors = JSON.parse(fs.readFileSync(new URL('../../vectors/filter_matching.json', import.meta.url), 'utf8'));

describe('shared filter vectors (tests/vectors/filter_matching.json)', () => {
  test('the file holds cases that match and cases that do not', () => {
    assert.ok(vectors.cases.length >= 40);
    assert.ok(vectors.cases.some((c) => c.matches) && vectors.cases.some((c) => !c.matches));
    assert.equal(new Set(vectors.cases.map((c) => c.name)).size, vectors.cases.length, 'case names are unique');
  });
  for (const c of vectors.cases) {
    test(c.name, () => {
      assert.equal(matchesFilter(c.operation, c.filter), c.matches, JSON.stringify(c.filter));
    });
  }
});

const op = {
  id: 'op-1', name: 'Webhook.Process', status: 'Running',
  started_at: '2026-03-14T09:00:00.000000Z', updated_at: '2026-03-14T09:05:00.000000Z',
  correlation: { correlation_id: 'corr-1' }, parent_id: 'op-parent', tags: { env: 'prod' },
};

describe('matchesFilter with the list view\'s filter state', () => {
  const empty = { status: [], name_prefix: '', tag: [], correlation_id: '', parent_id: '' };
  test('an empty filter (blank strings, empty arrays) keeps every row', () => {
    assert.equal(matchesFilter(op, empty), true);
    assert.equal(matchesFilter({ ...op, correlation: null, parent_id: null, tags: {} }, empty), true);
  });
  test('a status the row left drops it', () => {
    assert.equal(matchesFilter(op, { ...empty, status: ['Running'] }), true);
    assert.equal(matchesFilter({ ...op, status: 'Succeeded' }, { ...empty, status: ['Running'] }), false);
  });
  test('prefix, tags, correlation and parent from the hash', () => {
    const f = filterFromHash(new URLSearchParams('q=Webhook.&tag=env:prod&correlation_id=corr-1&parent_id=op-parent'));
    assert.equal(matchesFilter(op, f), true);
    assert.equal(matchesFilter({ ...op, tags: { env: 'dev' } }, f), false);
    assert.equal(matchesFilter({ ...op, parent_id: null }, f), false);
  });
  test('tags are the operation\'s own keys, not inherited ones', () => {
    assert.equal(matchesFilter({ ...op, tags: {} }, { tag: ['constructor:x'] }), false);
    assert.equal(matchesFilter({ ...op, tags: undefined }, { tag: 'env:prod' }), false);
  });
  test('tags without a key are ignored (the API refuses them)', () => {
    assert.equal(matchesFilter(op, { tag: [':x', 'nocolon'] }), true);
  });
  test('an unreadable time bound matches nothing', () => {
    assert.equal(matchesFilter(op, { updated_to: 'yesterday' }), false);
  });
});

describe('filterFromHash and hashFor', () => {
  test('reads statuses (repeated or comma-separated), the prefix, tags and scopes', () => {
    const f = filterFromHash(new URLSearchParams('status=Running,Bogus&status=Failed&q=Nightly.&tag=a:1&tag=bad&tag=:x&correlation_id=c&parent_id=p'));
    assert.deepEqual(f, { status: ['Running', 'Failed'], name_prefix: 'Nightly.', tag: ['a:1'], correlation_id: 'c', parent_id: 'p' });
  });
  test('an empty hash is an empty filter', () => {
    assert.deepEqual(filterFromHash(new URLSearchParams('')),
      { status: [], name_prefix: '', tag: [], correlation_id: '', parent_id: '' });
  });
  test('hashFor writes only what is set', () => {
    assert.equal(hashFor(filterFromHash(new URLSearchParams(''))), '#/');
    assert.equal(hashFor({ status: ['Succeeded'], name_prefix: '', tag: [], correlation_id: '', parent_id: '' }),
      '#/?status=Succeeded');
    assert.equal(hashFor({ status: [], name_prefix: 'Webhook.', tag: ['k:v w'], correlation_id: '', parent_id: '' }),
      '#/?q=Webhook.&tag=k%3Av+w');
  });
  test('hash -> filter -> hash round-trips', () => {
    const hash = '#/?status=Running&status=Stalled&q=Web&tag=a%3A1&tag=b%3A2&correlation_id=c&parent_id=p';
    assert.equal(hashFor(filterFromHash(new URLSearchParams(hash.slice(3)))), hash);
  });
  test('STATUSES lists the six, in the chips\' order', () => {
    assert.deepEqual(STATUSES, ['Running', 'Pending', 'Stalled', 'Failed', 'Succeeded', 'Canceled']);
  });
});

describe('apiQuery', () => {
  const f = { status: ['Running', 'Stalled'], name_prefix: 'Web', tag: ['a:1'], correlation_id: '', parent_id: 'p' };
  test('joins statuses and leaves blanks out', () => {
    assert.deepEqual(apiQuery(f, true),
      { status: 'Running,Stalled', name_prefix: 'Web', tag: ['a:1'], correlation_id: undefined, parent_id: 'p' });
  });
  test('counts go without the status', () => assert.equal(apiQuery(f, false).status, undefined));
  test('no status selected sends none', () => assert.equal(apiQuery({ ...f, status: [] }, true).status, undefined));
  test('what it asks the server for, matchesFilter keeps', () => {
    const row = { ...op, name: 'Webhook.X', status: 'Stalled', tags: { a: '1' }, parent_id: 'p' };
    assert.equal(matchesFilter(row, apiQuery(f, true)), true);
    assert.equal(matchesFilter(row, f), true);
  });
});

describe('timeMicros', () => {
  test('keeps microseconds', () => {
    assert.equal(timeMicros('1970-01-01T00:00:00.000001Z'), 1n);
    assert.equal(timeMicros('2026-03-14T09:05:00.000500Z') - timeMicros('2026-03-14T09:05:00.000000Z'), 500n);
    assert.equal(timeMicros('2026-03-14T09:05:00Z'), BigInt(Date.UTC(2026, 2, 14, 9, 5)) * 1000n);
  });
  test('short fractions scale, long ones are cut', () => {
    assert.equal(timeMicros('1970-01-01T00:00:01.5Z'), 1500000n);
    assert.equal(timeMicros('1970-01-01T00:00:00.123456789Z'), 123456n);
  });
  test('accepts what the server accepts', () => {
    const t = timeMicros('2026-03-14T09:05:00Z');
    for (const s of ['2026-03-14t09:05:00z', '2026-03-14T09:05:00+00:00', '2026-03-14T09:05:00-00:00', ' 2026-03-14T09:05:00Z ']) {
      assert.equal(timeMicros(s), t, s);
    }
    assert.ok(timeMicros('1969-12-31T23:59:59Z') < 0n);
  });
  test('refuses what the server refuses', () => {
    for (const s of ['', 'yesterday', '2026-03-14', '2026-03-14T09:05:00', '2026-03-14T09:05:00+01:00',
      '2026-02-30T00:00:00Z', '2026-03-14T24:00:00Z', '2026-03-14T09:60:00Z', '2026-03-14T09:05:00.Z',
      '2026-03-14T09:05:00.1234567890Z', '2026-13-01T00:00:00Z']) {
      assert.equal(timeMicros(s), null, s);
    }
  });
});

describe('newerFirst', () => {
  const a = { id: 'a', started_at: '2026-03-14T09:00:00.000000Z' };
  const b = { id: 'b', started_at: '2026-03-14T09:00:00.000000Z' };
  const later = { id: 'a', started_at: '2026-03-14T09:00:00.000001Z' };
  test('later starts first, then the larger id', () => {
    assert.ok(newerFirst(later, a) < 0);
    assert.ok(newerFirst(a, later) > 0);
    assert.ok(newerFirst(b, a) < 0);
    assert.equal(newerFirst(a, { ...a }), 0);
    assert.deepEqual([a, later, b].sort(newerFirst).map((o) => o.started_at + o.id),
      [later, b, a].map((o) => o.started_at + o.id));
  });
});
