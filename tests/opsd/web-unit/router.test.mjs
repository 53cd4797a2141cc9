// router.js: which view a hash names, and the links it makes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { correlationHref, opHref, parseRoute } from '../../../tools/opsd/web/router.js';

describe('parseRoute', () => {
  test('no hash, "#" and "#/" are the list', () => {
    for (const hash of ['', '#', '#/', undefined]) {
      const r = parseRoute(hash);
      assert.equal(r.view, 'list', String(hash));
      assert.equal(r.nav, 'list');
      assert.equal(r.title, 'Operations · opsd');
      assert.equal([...r.params].length, 0);
    }
  });
  test('the list keeps its query', () => {
    const r = parseRoute('#/?status=Running&status=Stalled&q=Webhook.&tag=env%3Aprod');
    assert.equal(r.view, 'list');
    assert.deepEqual(r.params.getAll('status'), ['Running', 'Stalled']);
    assert.equal(r.params.get('q'), 'Webhook.');
    assert.equal(r.params.get('tag'), 'env:prod');
  });
  test('an operation, its id decoded', () => {
    assert.deepEqual(parseRoute('#/op/0190f3a2b4c67d8e9f00112233445566'),
      { view: 'detail', id: '0190f3a2b4c67d8e9f00112233445566', nav: null, title: null });
    assert.equal(parseRoute('#/op/a%3Ab.c').id, 'a:b.c');
  });
  test('the stalled view', () => {
    const r = parseRoute('#/stalled');
    assert.equal(r.view, 'stalled');
    assert.equal(r.nav, 'stalled');
    assert.equal(r.title, 'Stalled · opsd');
  });
  test('anything else is the list', () => {
    assert.equal(parseRoute('#/nowhere').view, 'list');
    assert.equal(parseRoute('#/stalled/x').view, 'list');
    assert.equal(parseRoute('#/op').view, 'list');
  });
  test('links round-trip', () => {
    assert.equal(opHref('a:b/c'), '#/op/a%3Ab%2Fc');
    assert.equal(parseRoute(opHref('a:b/c')).id, 'a:b/c');
    assert.equal(correlationHref('corr 1&x'), '#/?correlation_id=corr%201%26x');
    assert.equal(parseRoute(correlationHref('corr 1&x')).params.get('correlation_id'), 'corr 1&x');
  });
});
