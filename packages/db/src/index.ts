export * from './pool.js';
export * from './migrate.js';
export * from './outbox.js';
export * from './inbox.js';
