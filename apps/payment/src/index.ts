export { startPayment } from './service.js';
export { loadPaymentConfig, type PaymentConfig } from './config.js';
