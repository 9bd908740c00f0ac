// The one import suite files need.
export * from './builders.js';
export * from './context.js';
export * from './eventually.js';
export * from './expect.js';
export * from './resources.js';
export { describe, it } from './test-api.js';
export { skip, SkipError } from './skip.js';
