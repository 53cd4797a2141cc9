// api.js's pure parts: query strings and SSE event blocks.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ApiError, parseSseBlock, query } from '../../../tools/opsd/web/api.js';

describe('query', () => {
  test('leaves out empty values, repeats arrays', () => {
    assert.equal(query({ status: 'Running,Stalled', name_prefix: undefined, tag: ['a:1', 'b:2'], parent_id: '', x: null, limit: 50 }),
      '?status=Running%2CStalled&tag=a%3A1&tag=b%3A2&limit=50');
  });
  test('nothing set is no query at all', () => {
    assert.equal(query({}), '');
    assert.equal(query({ tag: [], q: '' }), '');
  });
});

describe('parseSseBlock', () => {
  test('event, id and data', () => {
    assert.deepEqual(parseSseBlock('id: 42\nevent: change\ndata: {"a":1}'),
      { type: 'change', id: '42', data: '{"a":1}', hasData: true });
  });
  test('a message without a type or id', () => {
    assert.deepEqual(parseSseBlock('data: x'), { type: 'message', id: null, data: 'x', hasData: true });
  });
  test('data lines join with newlines; one leading space is dropped', () => {
    assert.equal(parseSseBlock('data: a\ndata:b\ndata:  c').data, 'a\nb\n c');
  });
  test('comments and unknown fields are ignored', () => {
    assert.deepEqual(parseSseBlock(': keep-alive\nretry: 100\nevent: ready'),
      { type: 'ready', id: null, data: '', hasData: false });
  });
  test('an empty id is still an id (it resets Last-Event-ID)', () => {
    assert.equal(parseSseBlock('id\nevent: reset').id, '');
  });
});

describe('ApiError', () => {
  test('takes the code, message and field from the error body', () => {
    const e = new ApiError(409, { error: { code: 'operation_purged', message: 'purged', field: 'id' } });
    assert.equal(e.status, 409);
    assert.equal(e.code, 'operation_purged');
    assert.equal(e.message, 'purged');
    assert.equal(e.field, 'id');
  });
  test('falls back to the HTTP status', () => {
    const e = new ApiError(502, null);
    assert.equal(e.message, 'HTTP 502');
    assert.equal(e.code, 'http_502');
    assert.equal(e.field, null);
  });
});
