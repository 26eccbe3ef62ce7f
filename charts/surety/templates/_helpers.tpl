{{/*
Every resource is named after its component (api, payment, ...), not prefixed with the release:
keda/ and chaos-mesh/ address them by those names, so one release runs per namespace.
*/}}

{{- define "surety.chart" -}}
{{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* surety.selectorLabels: the immutable labels a workload selects its pods by. Takes (dict "root" $ "name" $name). */}}
{{- define "surety.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end }}

{{/* surety.labels: selector labels plus what tools group by. Takes (dict "root" $ "name" $name "role" $role). */}}
{{- define "surety.labels" -}}
{{ include "surety.selectorLabels" . }}
app.kubernetes.io/component: {{ .role }}
app.kubernetes.io/part-of: surety
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "surety.chart" .root }}
{{- end }}

{{/* surety.image: one image for every app; a tag is required and latest is refused. */}}
{{- define "surety.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if eq $tag "latest" }}{{ fail "image.tag: latest is refused; name a version" }}{{ end -}}
{{ printf "%s:%s" .Values.image.repository $tag }}
{{- end }}

{{/* surety.component: a component's settings over the defaults. Takes (dict "root" $ "values" $component). */}}
{{- define "surety.component" -}}
{{- toYaml (mergeOverwrite (deepCopy .root.Values.default) (deepCopy .values)) }}
{{- end }}

{{/* surety.connectionEnv: the URLs of the broker and the database, read from the operators' secrets. */}}
{{- define "surety.connectionEnv" -}}
{{- $root := .root -}}
{{- if .component.connects.database }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ printf "%s-app" $root.Values.postgres.cluster }}
      key: {{ $root.Values.postgres.uriKey }}
{{- end }}
{{- if .component.connects.rabbitmq }}
- name: AMQP_URL
  valueFrom:
    secretKeyRef:
      name: {{ printf "%s-default-user" $root.Values.rabbitmq.cluster }}
      key: {{ $root.Values.rabbitmq.uriKey }}
{{- end }}
{{- end }}

{{/* surety.env: the connection URLs, the component's port, its plain settings and its secret settings. */}}
{{- define "surety.env" -}}
{{- include "surety.connectionEnv" . }}
{{- with .component.port }}
- name: {{ $.component.portEnv }}
  value: {{ . | quote }}
{{- end }}
{{- range $name, $value := .component.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- if eq .root.Values.relay.mode "cdc" }}
{{- if not (hasKey .component.env "OUTBOX_DISPATCH") }}
- name: OUTBOX_DISPATCH
  value: relay
{{- end }}
{{- if eq .component.role "relay" }}
- name: RELAY_MODE
  value: cdc
{{- end }}
{{- end }}
{{- range $name, $ref := .component.secretEnv }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.name }}
      key: {{ $ref.key }}
{{- end }}
{{- end }}

{{/* surety.podSecurity: pod-level settings of a merged component (non-root, no API token). */}}
{{- define "surety.podSecurity" -}}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .podSecurityContext | nindent 2 }}
{{- end }}

{{/* surety.tmpVolume: the one writable place for whatever writes temporary files; the root filesystem is read-only. */}}
{{- define "surety.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end }}

{{- define "surety.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}
