export { up } from '../shared/outbox-notify-after-commit.js';
