{{/*
The objects one component renders into. Each takes (dict "root" $ "name" $name "component" $merged).
*/}}

{{- define "surety.container" -}}
{{- $c := .component -}}
- name: {{ .name }}
  image: {{ include "surety.image" .root }}
  imagePullPolicy: {{ .root.Values.image.pullPolicy }}
  args: [{{ printf "dist/%s.js" .name | quote }}]
  env:
    {{- include "surety.env" . | trim | nindent 4 }}
  {{- with $c.port }}
  ports:
    - name: http
      containerPort: {{ . }}
      protocol: TCP
  {{- end }}
  {{- if $c.port }}
  {{- with $c.probes }}
  startupProbe:
    httpGet: { path: {{ .startup.path }}, port: http }
    periodSeconds: {{ .startup.periodSeconds }}
    failureThreshold: {{ .startup.failureThreshold }}
  readinessProbe:
    httpGet: { path: {{ .readiness.path }}, port: http }
    periodSeconds: {{ .readiness.periodSeconds }}
    failureThreshold: {{ .readiness.failureThreshold }}
  livenessProbe:
    httpGet: { path: {{ .liveness.path }}, port: http }
    periodSeconds: {{ .liveness.periodSeconds }}
    failureThreshold: {{ .liveness.failureThreshold }}
  {{- end }}
  {{- end }}
  {{- if $c.preStopSleepSeconds }}
  lifecycle:
    preStop:
      sleep:
        seconds: {{ $c.preStopSleepSeconds }}
  {{- end }}
  resources:
    {{- toYaml $c.resources | nindent 4 }}
  securityContext:
    {{- toYaml $c.securityContext | nindent 4 }}
  volumeMounts:
    {{- include "surety.tmpMount" . | nindent 4 }}
{{- end }}

{{- define "surety.deployment" -}}
{{- $c := .component -}}
{{- $labels := dict "root" .root "name" .name "role" $c.role -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "surety.labels" $labels | nindent 4 }}
spec:
  {{- /* An autoscaler owns the replica count; setting it here would reset it on every upgrade. */}}
  {{- if not (or $c.autoscaling.enabled (and $c.scaledByKeda .root.Values.keda.enabled)) }}
  replicas: {{ $c.replicas }}
  {{- end }}
  revisionHistoryLimit: 3
  selector:
    matchLabels:
      {{- include "surety.selectorLabels" $labels | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "surety.labels" $labels | nindent 8 }}
    spec:
      {{- include "surety.podSecurity" $c | nindent 6 }}
      terminationGracePeriodSeconds: {{ $c.terminationGracePeriodSeconds }}
      containers:
        {{- include "surety.container" . | nindent 8 }}
      volumes:
        {{- include "surety.tmpVolume" . | nindent 8 }}
{{- end }}

{{- define "surety.service" -}}
{{- $c := .component -}}
{{- $labels := dict "root" .root "name" .name "role" $c.role -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "surety.labels" $labels | nindent 4 }}
spec:
  type: {{ $c.service.type }}
  selector:
    {{- include "surety.selectorLabels" $labels | nindent 4 }}
  ports:
    - name: http
      port: {{ $c.port }}
      targetPort: http
      protocol: TCP
      {{- if and (eq $c.service.type "NodePort") $c.service.nodePort }}
      nodePort: {{ $c.service.nodePort }}
      {{- end }}
{{- end }}

{{- define "surety.podDisruptionBudget" -}}
{{- $c := .component -}}
{{- $labels := dict "root" .root "name" .name "role" $c.role -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "surety.labels" $labels | nindent 4 }}
spec:
  maxUnavailable: {{ $c.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "surety.selectorLabels" $labels | nindent 6 }}
{{- end }}

{{- define "surety.horizontalPodAutoscaler" -}}
{{- $c := .component -}}
{{- $labels := dict "root" .root "name" .name "role" $c.role -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "surety.labels" $labels | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ .name }}
  minReplicas: {{ $c.autoscaling.minReplicas }}
  maxReplicas: {{ $c.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $c.autoscaling.targetCPUUtilizationPercentage }}
  behavior:
    # Scale out at once on a burst; scale in one pod a minute after five quiet minutes, so a
    # bursty load does not make the api flap.
    scaleUp:
      stabilizationWindowSeconds: 0
    scaleDown:
      stabilizationWindowSeconds: 300
      policies:
        - type: Pods
          value: 1
          periodSeconds: 60
{{- end }}

{{- define "surety.cronJob" -}}
{{- $c := .component -}}
{{- $labels := dict "root" .root "name" .name "role" $c.role -}}
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "surety.labels" $labels | nindent 4 }}
spec:
  schedule: {{ $c.schedule | quote }}
  # A pass is safe to run twice (rows are locked SKIP LOCKED), but one at a time is enough.
  concurrencyPolicy: Forbid
  startingDeadlineSeconds: 120
  successfulJobsHistoryLimit: 1
  failedJobsHistoryLimit: 3
  jobTemplate:
    metadata:
      labels:
        {{- include "surety.labels" $labels | nindent 8 }}
    spec:
      backoffLimit: 2
      activeDeadlineSeconds: 300
      template:
        metadata:
          labels:
            {{- include "surety.labels" $labels | nindent 12 }}
        spec:
          {{- include "surety.podSecurity" $c | nindent 10 }}
          restartPolicy: Never
          containers:
            {{- include "surety.container" . | nindent 12 }}
          volumes:
            {{- include "surety.tmpVolume" . | nindent 12 }}
{{- end }}
