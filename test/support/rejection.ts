// The error a promise rejects with, typed as an Error, for tests that check a failure's class and
// message: `expect((await rejection(net.listen(...))).message)...`. Catching with
// `.catch((e) => e as Error)` types the result as the resolved value or an Error, so the checks on
// it would not type-check; and a promise that resolves must fail the test, not hand its value on.

/**
 * What `promise` rejects with. Throws (so the test fails) when it resolves instead, or when it
 * rejects with something that is not an Error.
 */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`expected a rejection with an Error, got ${String(error)}`);
  }
  throw new Error(`expected a rejection, but the promise resolved with ${String(value)}`);
}
