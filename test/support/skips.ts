// Tests that apply only on some systems (one platform, a Node.js version) are registered on every
// system: where they do not apply, vitest reports them as skipped, with the reason in their title
// and printed once, so that a run counts what it did not test instead of leaving it out unseen.
// (Tests that need a program npm does not install use peers.ts instead: in CI those must run.)

/** Whether a test applies here, from {@link onlyWhere}. */
export interface Condition {
  /** For `it.skipIf` / `describe.skipIf`: true where the test does not apply. */
  readonly skip: boolean;
  /** The title to register under: `title` where the test applies, else `title (skipped: reason)`. */
  title(title: string): string;
}

const printed = new Set<string>();

/**
 * A condition for tests that apply only where `holds` is true; `reason` says why they do not apply
 * elsewhere (`'abstract socket names exist on Linux only'`). Where it does not hold, each title made
 * with it is printed with the reason.
 */
export function onlyWhere(holds: boolean, reason: string): Condition {
  return {
    skip: !holds,
    title(title: string): string {
      if (holds) return title;
      if (!printed.has(title)) {
        printed.add(title);
        console.warn(`skipped: ${title}: ${reason}`);
      }
      return `${title} (skipped: ${reason})`;
    },
  };
}
