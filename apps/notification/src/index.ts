export { startNotification } from './service.js';
export { loadNotificationConfig, type NotificationConfig } from './config.js';
