/**
 * Channel names and wildcard matching of the Bayeux server (src/bayeux/channels.ts), table-driven.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classify, isMeta, isService, matches, patternsMatching } from '../../src/bayeux/channels.js';

describe('bayeux channel names', () => {
  const table: Array<[unknown, ReturnType<typeof classify>]> = [
    ['/v2/me/calls', 'channel'],
    ['/a', 'channel'],
    ['/v2/me/workbins/wb-1', 'channel'],
    ['/a/*', 'wildcard'],
    ['/*', 'wildcard'],
    ['/a/**', 'deep-wildcard'],
    ['/**', 'deep-wildcard'],
    ['', null],
    ['/', null],
    ['a/b', null],
    ['/a//b', null],
    ['/a/', null],
    ['/a/*/b', null],
    ['/a/**/b', null],
    ['/a/b*', null],
    ['/a/***', null],
    ['/a b', null],
    ['/a/\n', null],
    [42, null],
    [null, null],
    [['/a'], null],
    ['/' + 'x'.repeat(2000), null],
  ];
  for (const [name, kind] of table) {
    it(`classify(${JSON.stringify(name)?.slice(0, 40)}) = ${kind}`, () => assert.equal(classify(name), kind));
  }

  it('knows the meta and service namespaces', () => {
    assert.equal(isMeta('/meta/connect'), true);
    assert.equal(isMeta('/meta/**'), true);
    assert.equal(isMeta('/meta'), true);
    assert.equal(isMeta('/metadata'), false);
    assert.equal(isService('/service/x'), true);
    assert.equal(isService('/service/**'), true);
    assert.equal(isService('/services'), false);
  });
});

describe('bayeux wildcard matching', () => {
  const table: Array<[pattern: string, channel: string, expected: boolean]> = [
    ['/v2/me/calls', '/v2/me/calls', true],
    ['/v2/me/calls', '/v2/me/devices', false],
    ['/v2/me/calls', '/v2/me/calls/x', false],
    ['/v2/me/*', '/v2/me/calls', true],
    ['/v2/me/*', '/v2/me/devices', true],
    ['/v2/me/*', '/v2/me', false],
    ['/v2/me/*', '/v2/me/workbins/wb1', false],
    ['/v2/me/*', '/v2/mex/calls', false],
    ['/v2/me/**', '/v2/me/calls', true],
    ['/v2/me/**', '/v2/me/workbins/wb1', true],
    ['/v2/me/**', '/v2/me/a/b/c/d', true],
    ['/v2/me/**', '/v2/me', false],
    ['/v2/me/**', '/v2/mex/calls', false],
    ['/**', '/a', true],
    ['/**', '/v2/me/calls', true],
    ['/**', '/notifications/services', true],
    ['/*', '/a', true],
    ['/*', '/a/b', false],
    ['/a/*', '/a/b', true],
    ['/a/*', '/ab/c', false],
  ];
  for (const [pattern, channel, expected] of table) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${channel}`, () => {
      assert.equal(matches(pattern, channel), expected);
      // the lookup used for fan-out agrees with the matcher
      const viaLookup = pattern === channel || patternsMatching(channel).includes(pattern);
      assert.equal(viaLookup, expected);
    });
  }

  it('lists every wildcard matching a channel, narrowest first', () => {
    assert.deepEqual(patternsMatching('/v2/me/calls'), ['/v2/me/*', '/v2/me/**', '/v2/**', '/**']);
    assert.deepEqual(patternsMatching('/a'), ['/*', '/**']);
  });
});
