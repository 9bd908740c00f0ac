// The one import suite files need.
export * from './builders.js';
export * from './context.js';
export * from './eventually.js';
export * from './expect.js';
export * from './expect-rpc.js';
export * from './resources.js';
export * from './sandbox.js';
export { defineSuite, type SuiteSpec } from './suite.js';
export { skip, SkipError, NoImageError } from './skip.js';
export * from './streaming.js';
export * from './contract.js';
export * from './runtime-facts.js';
