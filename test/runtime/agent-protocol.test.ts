/**
 * The agent's messages as the control reads them: a child notice names one real process.
 */
import { expect, test } from 'vitest';
import { isChildNotice } from '../../src/runtime/agent-protocol.js';

test('a child notice names a real child: never pid 0, 1 or a negative one, which a kill would spread to a group or to everything', () => {
  const notice = (pid: unknown) => ({ cmd: 'NODE_CLUSTERCHART_CHILD', pid, running: true });
  expect(isChildNotice(notice(4242))).toBe(true);
  for (const pid of [0, 1, -1, -4242, 1.5, '4242', null]) expect(isChildNotice(notice(pid))).toBe(false);
  expect(isChildNotice({ cmd: 'NODE_CLUSTERCHART_STATS', pid: 4242 })).toBe(false);
  expect(isChildNotice(null)).toBe(false);
});
