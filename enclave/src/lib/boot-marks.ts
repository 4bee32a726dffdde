/**
 * Start-up marks of the enclave document and its key worker, for finding where a cold start
 * goes (docs/performance.md, "Where cold start goes"). Development and test builds only: in a
 * release build {@link DEV} is `false`, every function here is a no-op and the bundler drops
 * the marks and the message that carries them.
 *
 * Each mark is a `performance.mark` named `strongroom:<name>` and is reported as wall-clock
 * milliseconds (`performance.timeOrigin + startTime`), so that marks of the document and of
 * the worker (two clocks with different origins) and the embedding page's own times can be
 * put on one time line.
 */
import { DEV } from '../build-info';

/** One start-up mark: its name and when it happened (ms since the Unix epoch). */
export interface BootMark {
  readonly name: string;
  readonly at: number;
}

/** The dev-only message in which the enclave document hands its marks to its key worker. */
export interface BootMarksMessage {
  readonly type: 'strongroom:dev-boot-marks';
  readonly marks: readonly BootMark[];
}

const PREFIX = 'strongroom:';

/** Record the mark `name` (dev builds only). */
export function mark(name: string): void {
  if (!DEV) return;
  try {
    performance.mark(`${PREFIX}${name}`);
  } catch {
    // A mark is a measurement aid, never a reason to fail.
  }
}

/** Every mark recorded so far in this global scope, oldest first (empty in release builds). */
export function bootMarks(): BootMark[] {
  if (!DEV) return [];
  return performance
    .getEntriesByType('mark')
    .filter((m) => m.name.startsWith(PREFIX))
    .map((m) => ({ name: m.name.slice(PREFIX.length), at: performance.timeOrigin + m.startTime }));
}

/** Whether `data` is a {@link BootMarksMessage}. */
export function isBootMarksMessage(data: unknown): data is BootMarksMessage {
  if (!DEV || typeof data !== 'object' || data === null) return false;
  const m = data as Record<string, unknown>;
  return m.type === 'strongroom:dev-boot-marks' && Array.isArray(m.marks);
}
