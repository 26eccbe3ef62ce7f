export { up } from '../shared/outbox-without-order-index.js';
