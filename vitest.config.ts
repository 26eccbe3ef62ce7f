import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['apps/*/src/**/*.test.ts', 'packages/*/src/**/*.test.ts'],
        },
      },
      {
        // Helm chart, Kubernetes manifests and their agreement with the code: no servers needed.
        test: {
          name: 'manifests',
          sequence: { groupOrder: 0 },
          include: ['test/manifests/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        // What the image installs and runs: every workspace declares what it imports, and every entry
        // point the chart runs starts from the production dependency tree.
        test: {
          name: 'packaging',
          sequence: { groupOrder: 0 },
          include: ['test/packaging/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          sequence: { groupOrder: 0 },
          include: ['test/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The customer and ops pages in Debian's chromium, against the same apps as make run; each
        // file has its own database and vhost, so they run beside the integration files.
        test: {
          name: 'ui',
          sequence: { groupOrder: 0 },
          include: ['test/ui/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts', 'test/ui/support/build-web.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Tests that stop and start the shared RabbitMQ and PostgreSQL: after every other file, one at a time.
        test: {
          name: 'disruptive',
          include: ['test/disruptive/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          testTimeout: 180_000,
          hookTimeout: 60_000,
        },
      },
      {
        // A real control plane (scripts/control-plane.sh: etcd, kube-apiserver, controller-manager,
        // scheduler, kwok as the kubelet): every manifest validated by the API server, and the chart
        // installed, upgraded, rolled back, tested and uninstalled. The files share the cluster, so
        // they run one at a time, last, where they take no CPU from the timing-sensitive tests.
        test: {
          name: 'kubernetes',
          include: ['test/kubernetes/*.test.ts'],
          globalSetup: ['test/kubernetes/global-setup.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 2 },
          testTimeout: 600_000,
          // A file's first hook may wait for the Go builds make test started (cold, about 25 minutes).
          hookTimeout: 1_800_000,
        },
      },
    ],
  },
});
