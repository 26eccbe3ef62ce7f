export { up } from '../shared/outbox-two-states.js';
