{{/* The chart's name. */}}
{{- define "nodepulse.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The full name of every object: the release name, with the chart's name added when it lacks it. */}}
{{- define "nodepulse.fullname" -}}
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

{{/* Labels that select the agent's pods (never change on upgrade). */}}
{{- define "nodepulse.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nodepulse.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "nodepulse.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "nodepulse.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: nodepulse
{{- end }}

{{/* The agent's ServiceAccount. */}}
{{- define "nodepulse.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "nodepulse.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The ClusterRole that may get /metrics. */}}
{{- define "nodepulse.metricsReaderName" -}}
{{- printf "%s-metrics-reader" (include "nodepulse.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The admission webhook's Service, Secret and ValidatingWebhookConfiguration. */}}
{{- define "nodepulse.webhookName" -}}
{{- printf "%s-webhook" (include "nodepulse.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The agent's image. */}}
{{- define "nodepulse.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
True when a Prometheus Operator object of this kind is wanted: create true, or auto and the cluster serves
monitoring.coreos.com/v1. A cluster's API discovery names the group/version and each of its kinds: then the
kind decides (a cluster with the ServiceMonitor CRD but not the PrometheusRule one gets only the former).
`helm template --api-versions monitoring.coreos.com/v1` names the group/version alone: that is enough.
*/}}
{{- define "nodepulse.wantMonitoring" -}}
{{- $create := toString .create }}
{{- $gv := "monitoring.coreos.com/v1" }}
{{- $apis := .root.Capabilities.APIVersions }}
{{- $kindsNamed := false }}
{{- range $apis }}{{ if hasPrefix (printf "%s/" $gv) . }}{{ $kindsNamed = true }}{{ end }}{{ end }}
{{- $served := ternary ($apis.Has (printf "%s/%s" $gv .kind)) ($apis.Has $gv) $kindsNamed }}
{{- if or (eq $create "true") (and (eq $create "auto") $served) }}true{{ end }}
{{- end }}

{{/* The alerts' selector of the agent's series. */}}
{{- define "nodepulse.alertSelector" -}}
{{- default (printf "job=%q" (include "nodepulse.fullname" .)) .Values.prometheusRule.selector }}
{{- end }}
