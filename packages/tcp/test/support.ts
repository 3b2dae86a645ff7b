// Test support: the helpers of @message-io/adapter-testkit (a node with awaitable events, polling,
// seeded randomness), shared by every transport's tests.
export { randomBytes, rng, sleep, testNode, until, type TestNode } from '@message-io/adapter-testkit';
