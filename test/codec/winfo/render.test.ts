// RFC 3858 watcherinfo rendering, checked against the shape of the RFC example.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { renderWatcherInfo } from '../../../src/codec/winfo/render.js';
import { readFixture } from '../../support/fixtures.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  processEntities: true,
  isArray: (name) => name === 'watcher' || name === 'watcher-list',
});

test('renders the RFC 3858 example with the same structure and values', () => {
  const xml = renderWatcherInfo({
    version: 0,
    state: 'full',
    resource: 'sip:professor@example.net',
    package: 'presence',
    watchers: [
      { id: '8ajksjda7s', status: 'active', event: 'approved', uri: 'sip:userA@example.net', durationSubscribed: 509 },
      { id: 'hh8juja87s997-ass7', status: 'pending', event: 'subscribe', uri: 'sip:userB@example.org', displayName: 'Mr. Subscriber' },
    ],
  });
  assert.equal(XMLValidator.validate(xml), true);
  assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n'));
  const expected = parser.parse(readFixture('pidf', 'rfc3858-watcherinfo.xml').toString('utf8'));
  assert.deepEqual(parser.parse(xml), expected);
});

test('escapes URIs, display names and resource; omits absent or invalid durations', () => {
  const xml = renderWatcherInfo({
    version: 7,
    state: 'partial',
    resource: 'sip:a&b@example.com',
    package: 'presence',
    watchers: [{
      id: 'w"1', status: 'terminated', event: 'timeout', uri: 'sip:x@y?h=<1>&z',
      displayName: 'Tom & "Jerry" <cat>', expiration: 12.9, durationSubscribed: -1,
    }],
  });
  assert.equal(XMLValidator.validate(xml), true);
  const out = parser.parse(xml);
  assert.equal(out.watcherinfo['@version'], '7');
  assert.equal(out.watcherinfo['@state'], 'partial');
  const list = out.watcherinfo['watcher-list'][0];
  assert.equal(list['@resource'], 'sip:a&b@example.com');
  const w = list.watcher[0];
  assert.equal(w['#text'], 'sip:x@y?h=<1>&z');
  assert.equal(w['@id'], 'w"1');
  assert.equal(w['@display-name'], 'Tom & "Jerry" <cat>');
  assert.equal(w['@expiration'], '12');
  assert.equal(w['@duration-subscribed'], undefined);
  assert.equal(w['@event'], 'timeout');
  assert.equal(w['@status'], 'terminated');
});

test('an empty watcher list is a valid full document; a bad version throws', () => {
  const xml = renderWatcherInfo({ version: 0, state: 'full', resource: 'sip:a@b', package: 'presence', watchers: [] });
  assert.equal(XMLValidator.validate(xml), true);
  assert.match(xml, /<watcher-list resource="sip:a@b" package="presence">\n<\/watcher-list>/);
  assert.throws(() => renderWatcherInfo({ version: -1, state: 'full', resource: 'r', package: 'p', watchers: [] }), RangeError);
  assert.throws(() => renderWatcherInfo({ version: 1.5, state: 'full', resource: 'r', package: 'p', watchers: [] }), RangeError);
});
