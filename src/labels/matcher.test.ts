import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matcher, MatcherError, translateRE2 } from './matcher.ts';

test('regex matchers are fully anchored and dot matches newline', () => {
  const m = new Matcher('=~', 'job', 'api|web');
  assert.ok(m.matches('api'));
  assert.ok(!m.matches('apix'));
  assert.ok(!m.matches('xapi'));
  const d = new Matcher('=~', 'x', 'a.b');
  assert.ok(d.matches('a\nb'));
  assert.ok(new Matcher('=~', 'x', 'fo+').matches('foo'));
  assert.ok(!new Matcher('=~', 'x', 'fo+').matches('foox'));
  assert.ok(new Matcher('!~', 'x', 'fo+').matches('bar'));
  assert.ok(new Matcher('=~', 'x', '').matchesEmpty());
  assert.ok(new Matcher('=~', 'x', '.*').matchesEmpty());
  assert.ok(!new Matcher('=~', 'x', '.+').matchesEmpty());
  assert.ok(new Matcher('=~', 'x', 'foo.*').matches('foobar'));
  assert.ok(!new Matcher('=~', 'x', 'foo.*').matches('xfoobar'));
});

test('RE2 syntax is translated', () => {
  assert.ok(new Matcher('=~', 'x', '(?i)FOO').matches('foo'));
  assert.ok(new Matcher('=~', 'x', 'a(?i:b)c').matches('aBc'));
  assert.ok(!new Matcher('=~', 'x', 'a(?i:b)c').matches('aBC'));
  assert.ok(new Matcher('=~', 'x', '(?P<n>a)b').matches('ab'));
  assert.ok(new Matcher('=~', 'x', '[[:digit:]]+').matches('123'));
  assert.ok(new Matcher('=~', 'x', '\\Qa.b\\E').matches('a.b'));
  assert.ok(!new Matcher('=~', 'x', '\\Qa.b\\E').matches('axb'));
  assert.ok(new Matcher('=~', 'x', 'a{').matches('a{'));
  assert.ok(new Matcher('=~', 'x', 'a{2}').matches('aa'));
  assert.ok(new Matcher('=~', 'x', '\\pL+').matches('héllo'));
  assert.equal(translateRE2('a]').source, 'a\\]');
});

test('RE2-invalid patterns are rejected with a clear error', () => {
  for (const bad of ['(a', 'a)', '*a', 'a**', '(?=a)', '(a)\\1', '[a', '\\C', '(?U)a']) {
    assert.throws(() => new Matcher('=~', 'x', bad), MatcherError, bad);
  }
  assert.throws(() => new Matcher('=~', 'x', '(?=a)'), /error parsing regexp/);
});
