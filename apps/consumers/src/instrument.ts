import { startTracing } from '@surety/telemetry/tracing';

// Imported first by main.ts: instrumentation must be in place before pg, amqplib or fastify load.
startTracing('consumers');
