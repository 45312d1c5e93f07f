{{/* Names, labels and the shared pieces of every AudioMuse pod. */}}

{{- define "audiomuse.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "audiomuse.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "audiomuse.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "audiomuse.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* The Secret with tokens and passwords: the user's own, or the chart's. */}}
{{- define "audiomuse.secretName" -}}
{{- .Values.existingSecret | default (printf "%s-secrets" (include "audiomuse.fullname" .)) -}}
{{- end -}}

{{- define "audiomuse.postgresHost" -}}
{{- if .Values.postgres.external.enabled -}}
{{- required "postgres.external.host is required when postgres.external.enabled" .Values.postgres.external.host -}}
{{- else -}}
{{- printf "%s-postgres" (include "audiomuse.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* Temporal's frontend: an external cluster, or the release K3S installs from the official chart. */}}
{{- define "audiomuse.temporalAddress" -}}
{{- if .Values.temporal.install.enabled -}}
{{- printf "%s-temporal-frontend:7233" .Release.Name -}}
{{- else -}}
{{- required "set temporal.address (an existing Temporal frontend host:port) or temporal.install.enabled" .Values.temporal.address -}}
{{- end -}}
{{- end -}}

{{/* Worker memory from the measured RSS: main worker + per analysis process (docs/benchmarks.md). */}}
{{- define "audiomuse.workerMemoryMi" -}}
{{- add .Values.worker.memory.baseMi (mul .Values.worker.analysisWorkers .Values.worker.memory.perAnalysisProcessMi) -}}
{{- end -}}

{{- define "audiomuse.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "audiomuse.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* Every configuration variable: the ConfigMap, then the Secret. */}}
{{- define "audiomuse.envFrom" -}}
- configMapRef:
    name: {{ include "audiomuse.fullname" . }}-config
- secretRef:
    name: {{ include "audiomuse.secretName" . }}
{{- end -}}
