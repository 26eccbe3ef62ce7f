export * from './pool.js';
export * from './migrate.js';
export * from './outbox.js';
export * from './inbox.js';
export * from './listen.js';
export * from './outbox-backlog.js';
export * from './notifications.js';
export * from './outbox-changes.js';
