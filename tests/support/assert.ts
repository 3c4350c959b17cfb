/**
 * Tiny assertion helpers over `node:assert/strict`, typed so that TypeScript narrows after
 * them, and returning the caught error where a test inspects it.
 */
import nodeAssert from "node:assert/strict";

/** Fails unless `value` is truthy; narrows its type. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

/** Deep strict equality. */
export function assertEquals<T>(
  actual: unknown,
  expected: T,
  message?: string,
): asserts actual is T {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Fails unless `text` matches `pattern`. */
export function assertMatch(text: string, pattern: RegExp, message?: string): void {
  nodeAssert.match(text, pattern, message);
}

/** Fails if `text` matches `pattern`. */
export function assertNotMatch(text: string, pattern: RegExp, message?: string): void {
  nodeAssert.doesNotMatch(text, pattern, message);
}

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

function check<E extends Error>(err: unknown, expected: ErrorClass<E> | RegExp | undefined): E {
  if (expected instanceof RegExp) {
    nodeAssert.match(err instanceof Error ? err.message : String(err), expected);
  } else if (expected) {
    nodeAssert.ok(
      err instanceof expected,
      `expected ${expected.name}, got ${
        err instanceof Error ? `${err.name}: ${err.message}` : String(err)
      }`,
    );
  }
  return err as E;
}

/** Expects `fn` to throw (an instance of the class, or a message matching the pattern). */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  expected?: ErrorClass<E> | RegExp,
): E {
  try {
    fn();
  } catch (err) {
    return check(err, expected);
  }
  throw new nodeAssert.AssertionError({ message: "expected the function to throw" });
}

/** Expects `fn`'s promise to reject (an instance of the class, or a matching message). */
export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  expected?: ErrorClass<E> | RegExp,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    return check(err, expected);
  }
  throw new nodeAssert.AssertionError({ message: "expected the promise to reject" });
}
