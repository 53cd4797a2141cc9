// timeline.js: how the detail view classifies, labels and filters timeline
// entries, and what it says about a bounded timeline.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { fmtDateTime } from '../../../tools/opsd/web/format.js';
import {
  classifyEntry, filterByKinds, relatedLinkText, SOURCE_LABEL, TIMELINE_KINDS, truncationText,
} from '../../../tools/opsd/web/timeline.js';

const at = '2026-03-14T09:00:01.250000Z';
const event = (e) => ({ at, source: 'event', event: { sequence: 1, message: null, data_json: null, ...e } });
const statusEvent = (data, sequence = 1) => event({ kind: 'status', sequence, data_json: JSON.stringify(data) });
const child = { id: 'op-child', name: 'Import.Batch', status: 'Running', message: 'batch 2', progress: { current: 3, total: null, unit: '' } };
const audit = {
  id: 'aud-7', name: 'operation.cancel', outcome: 'Succeeded', display_message: 'Cancel requested',
  actor: { type: 'token', id: 'tok-1', display: null }, data_json: '{"reason":"x"}',
};

describe('classifyEntry', () => {
  test('a status event with from and to is a transition', () => {
    const item = classifyEntry(statusEvent({ from: 'Pending', to: 'Running', message: 'picked up' }, 4));
    assert.equal(item.kind, 'status');
    assert.equal(item.label, 'Status');
    assert.equal(item.key, 'e4');
    assert.equal(item.icon, 'status');
    assert.equal(item.from, 'Pending');
    assert.equal(item.to, 'Running');
    assert.equal(item.dotStatus, 'Running');
    assert.equal(item.message, 'picked up');
    assert.equal(item.sequence, 4);
    assert.equal(item.data, null, 'a status change shows no data block');
    assert.equal(item.at, at);
  });
  test('the first status event (no from) is the creation', () => {
    const item = classifyEntry(statusEvent({ to: 'Pending' }));
    assert.equal(item.kind, 'status');
    assert.equal(item.from, null);
    assert.equal(item.to, 'Pending');
    assert.equal(item.message, null);
  });
  test('a status event with unreadable data is still a status entry', () => {
    for (const data_json of ['not json', 'null', '42', null]) {
      const item = classifyEntry(event({ kind: 'status', data_json }));
      assert.equal(item.kind, 'status', String(data_json));
      assert.equal(item.from, null);
      assert.equal(item.to, null);
      assert.equal(item.dotStatus, null);
    }
  });
  test('any other event kind is an event, with its message and data', () => {
    const item = classifyEntry(event({ kind: 'checkpoint', sequence: 9, message: 'page 3', data_json: '{"page":3}' }));
    assert.equal(item.kind, 'event');
    assert.equal(item.label, 'Event');
    assert.equal(item.eventKind, 'checkpoint');
    assert.equal(item.key, 'e9');
    assert.equal(item.icon, 'event');
    assert.equal(item.dotStatus, null);
    assert.equal(item.message, 'page 3');
    assert.equal(item.data, '{"page":3}');
  });
  test('a cancel request gets the cancel icon, an Error the Failed colour', () => {
    assert.equal(classifyEntry(event({ kind: 'cancel_requested' })).icon, 'cancel');
    assert.equal(classifyEntry(event({ kind: 'cancel_requested' })).kind, 'event');
    assert.equal(classifyEntry(event({ kind: 'Error' })).dotStatus, 'Failed');
    assert.equal(classifyEntry(event({ kind: 'error' })).dotStatus, null);
  });
  test('a child: its status colours the dot, its message and progress are the text', () => {
    const item = classifyEntry({ at, source: 'child', child });
    assert.equal(item.kind, 'child');
    assert.equal(item.label, 'Child');
    assert.equal(item.key, 'c' + child.id);
    assert.equal(item.icon, 'child');
    assert.equal(item.dotStatus, 'Running');
    assert.equal(item.child, child);
    assert.equal(item.message, 'batch 2 · 3');
    assert.equal(item.sequence, undefined);
  });
  test('a child with neither message nor progress has no text', () => {
    assert.equal(classifyEntry({ at, source: 'child', child: { ...child, message: null, progress: null } }).message, null);
  });
  test('an audit event names its actor', () => {
    const item = classifyEntry({ at, source: 'audit', audit });
    assert.equal(item.kind, 'audit');
    assert.equal(item.label, 'Audit');
    assert.equal(item.key, 'aaud-7');
    assert.equal(item.icon, 'audit');
    assert.equal(item.message, 'Cancel requested — by token tok-1');
    assert.equal(item.data, '{"reason":"x"}');
    assert.equal(classifyEntry({ at, source: 'audit', audit: { ...audit, actor: { ...audit.actor, display: 'Ada' } } }).message,
      'Cancel requested — by Ada');
    assert.equal(classifyEntry({ at, source: 'audit', audit: { ...audit, actor: null } }).message, 'Cancel requested');
  });
  test('keys tell entries apart across sources', () => {
    const keys = [statusEvent({ to: 'Pending' }, 1), event({ kind: 'note', sequence: 2 }),
      { at, source: 'child', child }, { at, source: 'audit', audit }].map((e) => classifyEntry(e).key);
    assert.equal(new Set(keys).size, keys.length);
  });
});

describe('filterByKinds', () => {
  const items = [statusEvent({ to: 'Pending' }, 1), event({ kind: 'note', sequence: 2 }), { at, source: 'child', child },
    statusEvent({ from: 'Pending', to: 'Running' }, 3), { at, source: 'audit', audit }].map(classifyEntry);
  test('every kind on shows every entry, in order', () => {
    assert.deepEqual(filterByKinds(items, new Set(TIMELINE_KINDS)).map((i) => i.key), ['e1', 'e2', 'cop-child', 'e3', 'aaud-7']);
  });
  test('switching kinds off hides exactly those', () => {
    assert.deepEqual(filterByKinds(items, new Set(['status'])).map((i) => i.key), ['e1', 'e3']);
    assert.deepEqual(filterByKinds(items, new Set(['event', 'audit'])).map((i) => i.key), ['e2', 'aaud-7']);
    assert.deepEqual(filterByKinds(items, new Set()), []);
  });
  test('the four kinds, each with a label', () => {
    assert.deepEqual(TIMELINE_KINDS, ['status', 'event', 'child', 'audit']);
    for (const kind of TIMELINE_KINDS) assert.equal(typeof SOURCE_LABEL[kind], 'string');
  });
});

describe('truncationText', () => {
  test('nothing left out says nothing', () => {
    assert.equal(truncationText(null), null);
    assert.equal(truncationText(undefined), null);
    assert.equal(truncationText({ events_after: null, children_page_token: null, audit_before: null, related: true }), null);
  });
  test('names each part that was cut', () => {
    assert.equal(truncationText({ events_after: 0, children_page_token: null, audit_before: null }),
      'Not all shown: events after #0.');
    const occurred = '2026-03-14T09:00:00.000000Z';
    assert.equal(truncationText({ events_after: 500, children_page_token: 'tok', audit_before: { occurred_at: occurred, id: 'a' } }),
      'Not all shown: events after #500; children beyond the first shown (see Children); audit events before ' +
      fmtDateTime(new Date(occurred)) + '.');
  });
  test('the Related link says whether the list is complete', () => {
    assert.equal(relatedLinkText(null), 'as a list');
    assert.equal(relatedLinkText({ related: false }), 'as a list');
    assert.equal(relatedLinkText({ related: true }), 'all of them');
  });
});
