{{/* The chart name, or nameOverride. */}}
{{- define "kstor.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The base name of every object: the release name when it already contains the chart name
(`helm install kstor` gives Service kstor, whose DNS name kstor.<namespace>.svc the serving
certificate carries), else <release>-<chart>.
*/}}
{{- define "kstor.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels that select the webhook pods (stable across upgrades). */}}
{{- define "kstor.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kstor.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: webhook
{{- end }}

{{/* Labels of every object. */}}
{{- define "kstor.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kstor.selectorLabels" . }}
app.kubernetes.io/part-of: kstor
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The TLS Secret mounted at /tls. */}}
{{- define "kstor.tlsSecretName" -}}
{{- default (printf "%s-webhook-tls" (include "kstor.fullname" .)) .Values.tls.secretName }}
{{- end }}

{{/* The image reference. */}}
{{- define "kstor.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
