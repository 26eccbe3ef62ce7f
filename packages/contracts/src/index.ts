export * from './errors.js';
export * from './events.js';
export * from './envelope.js';
export * from './validate.js';
export * from './compatibility.js';
