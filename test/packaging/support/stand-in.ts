import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandIn {
  url: string;
  /** The paths requested so far, e.g. `/v1/traces` from an OTLP exporter. */
  paths(): string[];
  close(): Promise<void>;
}

/**
 * startStandIn answers every request 200 with an empty body, which an OTLP/HTTP exporter takes as
 * a full success in JSON and in protobuf: the stand-in for a Service outside the chart.
 */
export async function startStandIn(): Promise<StandIn> {
  const paths: string[] = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      paths.push(request.url ?? '');
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    paths: () => [...paths],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
