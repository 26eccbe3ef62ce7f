import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { outboxBacklog, type Pool } from '@surety/db';
import { adminSecurity, requireBearer } from '../admin/auth.js';
import { Overview, ReportList } from '../admin/schemas.js';
import { refusals } from '../errors.js';
import { NoQuery } from '../orders/schemas.js';
import { Gauges } from './gauges.js';
import type { QueueStats } from './queue-stats.js';
import { latestReports, readReport, reportKinds, reportNamePattern } from './reports.js';

export interface OpsRoutesOptions {
  pool: Pool;
  token: string;
  queueStats: () => Promise<QueueStats[]>;
  gauges: () => Promise<Gauges>;
  reportsDir: string;
}

/**
 * opsRoutes feed the operator's page, behind the admin bearer token: the pipeline at a glance
 * (queues, consumers, dead letters, outbox backlog) and the latest drill and bench reports.
 */
export const opsRoutes: FastifyPluginAsyncTypebox<OpsRoutesOptions> = async (app, options) => {
  const { pool, queueStats, gauges, reportsDir } = options;
  app.addHook('onRequest', requireBearer(options.token));
  const tags = ['admin'];

  app.get(
    '/admin/overview',
    {
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Queues, consumers, dead letters and outbox backlog, read now.',
        querystring: NoQuery,
        response: { 200: Overview, ...refusals(400, 401) },
      },
    },
    async (request) => {
      // A broker that is down is what an operator most needs to see: the rest still answers.
      const [queues, outbox] = await Promise.all([
        queueStats().then(
          (stats) => ({ stats }),
          (error: unknown) => {
            request.log.warn({ err: error }, 'cannot read queue stats');
            return { stats: [], error: error instanceof Error ? error.message : String(error) };
          },
        ),
        outboxBacklog(pool),
      ]);
      return {
        at: new Date().toISOString(),
        queues: queues.stats,
        ...('error' in queues ? { queuesError: queues.error } : {}),
        outbox,
      };
    },
  );

  app.get(
    '/admin/gauges',
    {
      schema: {
        tags,
        security: adminSecurity,
        summary: "The four gauges of the runbook's triage over the last 15 minutes, from Prometheus.",
        querystring: NoQuery,
        response: { 200: Gauges, ...refusals(400, 401) },
      },
    },
    async () => gauges(),
  );

  app.get(
    '/admin/reports',
    {
      schema: {
        tags,
        security: adminSecurity,
        summary: 'The latest drill and bench reports.',
        querystring: NoQuery,
        response: { 200: ReportList, ...refusals(400, 401) },
      },
    },
    async () => ({ reports: await latestReports(reportsDir) }),
  );

  app.get(
    '/admin/reports/:kind/:name',
    {
      schema: {
        tags,
        security: adminSecurity,
        summary: "One run's report.md.",
        querystring: NoQuery,
        response: {
          200: { description: 'The report.', content: { 'text/markdown': { schema: Type.String() } } },
          ...refusals(400, 401, 404),
        },
        params: Type.Object({
          kind: Type.Union(reportKinds.map((kind) => Type.Literal(kind))),
          name: Type.String({ pattern: reportNamePattern, maxLength: 128 }),
        }),
      },
    },
    async (request, reply) => {
      const { kind, name } = request.params;
      const text = await readReport(reportsDir, kind, name);
      if (text === undefined)
        return reply.code(404).send({ error: 'report_not_found', message: `no report ${kind}/${name}` });
      return reply.type('text/markdown; charset=utf-8').send(text);
    },
  );
};
