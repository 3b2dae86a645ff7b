import { describe } from 'vitest';
import { registerDutyCases } from './cases/duties.js';
import { registerGroupCases } from './cases/groups.js';
import { registerIntegrationCases } from './cases/integration.js';
import { registerLifecycleCases } from './cases/lifecycle.js';
import { registerLimitCases } from './cases/limits.js';
import { registerOwnershipCases } from './cases/ownership.js';
import { registerOptionCases } from './cases/options.js';
import { registerRemovalCases } from './cases/removal.js';
import { Harness } from './harness.js';
import { resolveSettings, type ConformanceOptions } from './options.js';

/**
 * Registers the conformance cases for one transport with vitest, in a `describe` block. Call it at
 * the top level of a test file:
 *
 * ```ts
 * import { registerConformanceTests } from '@message-io/adapter-testkit';
 * import { FramedTcp } from '@message-io/tcp';
 *
 * registerConformanceTests({ transport: FramedTcp, bindAddr: '127.0.0.1:0' });
 * ```
 *
 * Cases are chosen by the transport's capabilities: connection-oriented transports also get the
 * refused-connection case and the `accepted`/`disconnected` checks; bounded ones the oversize case.
 * Every transport must refuse an option it does not know (`{ bogus: true }`) on `connect` and
 * `listen` with `InvalidOptionError`.
 * Every case stops the nodes it made, even when it fails.
 */
export function registerConformanceTests<C, L>(options: ConformanceOptions<C, L>): void {
  const settings = resolveSettings(options);
  const h = new Harness(settings);
  describe(settings.name, () => {
    describe('integration (ported from the Rust message-io)', () => registerIntegrationCases(h));
    describe('remove and stop', () => registerRemovalCases(h));
    describe('lifecycle guarantees', () => registerLifecycleCases(h));
    describe('limits', () => registerLimitCases(h));
    describe('ownership of received and sent bytes', () => registerOwnershipCases(h));
    describe('options', () => registerOptionCases(h));
    describe('duties: backpressure, size limit, whole messages, closing', () => registerDutyCases(h));
    describe('groups', () => registerGroupCases(h));
  });
}
