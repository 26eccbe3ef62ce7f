export { up } from '../shared/messaging-tables.js';
