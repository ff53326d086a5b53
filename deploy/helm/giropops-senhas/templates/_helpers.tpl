{{/* Names. The app's objects: FULLNAME; the in-cluster Redis: FULLNAME without "-senhas", plus "-redis". */}}
{{- define "gs.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "gs.redisName" -}}
{{- printf "%s-redis" (include "gs.fullname" . | trimSuffix "-senhas") | trunc 57 | trimSuffix "-" -}}
{{- end -}}

{{- define "gs.namespace" -}}
{{- if .Values.namespace.create -}}{{ .Values.namespace.name }}{{- else -}}{{ .Release.Namespace }}{{- end -}}
{{- end -}}

{{/* The name label is fixed: it becomes the Prometheus job (ServiceMonitor jobLabel) the alerts select on. */}}
{{- define "gs.commonLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: giropops-senhas
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "gs.selectorLabels" -}}
app.kubernetes.io/name: giropops-senhas
app.kubernetes.io/component: web
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "gs.labels" -}}
{{ include "gs.selectorLabels" . }}
{{ include "gs.commonLabels" . }}
{{- end -}}

{{- define "gs.redisSelectorLabels" -}}
app.kubernetes.io/name: giropops-redis
app.kubernetes.io/component: store
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "gs.redisLabels" -}}
{{ include "gs.redisSelectorLabels" . }}
{{ include "gs.commonLabels" . }}
{{- end -}}

{{/* repository:tag@digest (tag defaults to appVersion); the schema refuses "latest". */}}
{{- define "gs.image" -}}
{{- $tag := .image.tag | default .root.Chart.AppVersion -}}
{{- printf "%s:%s" .image.repository $tag -}}{{- with .image.digest -}}@{{ . }}{{- end -}}
{{- end -}}

{{/* The restricted container securityContext, shared by every container of the chart. */}}
{{- define "gs.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "gs.redisEnabledOrExternal" -}}
{{- if .Values.redis.enabled -}}in-cluster{{- else -}}external{{- end -}}
{{- end -}}
