// migrate (node-pg-migrate) and the CDC stream (pg-logical-replication) are subpaths of their own,
// @surety/db/migrate and @surety/db/outbox-changes: loaded by the few that use them, not by every service.
export * from './pool.js';
export * from './transaction.js';
export * from './schemas.js';
export * from './outbox.js';
export * from './inbox.js';
export * from './listen.js';
export * from './outbox-backlog.js';
export * from './notifications.js';
export { checkOut, createClient, currentHostOf, hostListOf } from './host-list.js';
