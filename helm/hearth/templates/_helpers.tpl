{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "hearth.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Resource name prefix: RELEASE-hearth, or RELEASE when it already says hearth. */}}
{{- define "hearth.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels of every resource. */}}
{{- define "hearth.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "hearth.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of a component (scheduler or worker). */}}
{{- define "hearth.selector" -}}
app.kubernetes.io/name: {{ include "hearth.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Names of the scheduler's objects. */}}
{{- define "hearth.headless" -}}{{ include "hearth.fullname" . }}-headless{{- end -}}
{{- define "hearth.schedulerTlsSecret" -}}{{ default (printf "%s-scheduler-tls" (include "hearth.fullname" .)) .Values.tls.schedulerSecret }}{{- end -}}
{{- define "hearth.headlessDns" -}}{{ include "hearth.headless" . }}.{{ .Release.Namespace }}.svc.cluster.local{{- end -}}

{{/* An image reference: [registry/]repository:tag, the tag defaulting to the appVersion. */}}
{{- define "hearth.image" -}}
{{- $repo := .image.repository -}}
{{- if .root.Values.image.registry -}}{{- $repo = printf "%s/%s" (trimSuffix "/" .root.Values.image.registry) $repo -}}{{- end -}}
{{- printf "%s:%s" $repo (default .root.Chart.AppVersion .image.tag) -}}
{{- end -}}

{{/* Members that must be up for job state to be writable: a majority of replicas. */}}
{{- define "hearth.quorum" -}}{{ add (div (int .Values.scheduler.replicas) 2) 1 }}{{- end -}}

{{/* The scheduler's gRPC address agents dial (the Service's cluster DNS name). */}}
{{- define "hearth.schedulerAddress" -}}
{{ include "hearth.fullname" . }}.{{ .Release.Namespace }}.svc:{{ .Values.service.grpcPort }}
{{- end -}}

{{/* DNS names the scheduler's certificate must carry: its Services and each member. */}}
{{- define "hearth.schedulerDnsNames" -}}
{{- $full := include "hearth.fullname" . -}}
{{- $ns := .Release.Namespace -}}
- {{ $full }}
- {{ $full }}.{{ $ns }}
- {{ $full }}.{{ $ns }}.svc
- {{ $full }}.{{ $ns }}.svc.cluster.local
- {{ $full }}-dashboard.{{ $ns }}.svc
- "*.{{ include "hearth.headless" . }}.{{ $ns }}.svc"
- "*.{{ include "hearth.headlessDns" . }}"
- localhost
{{- end -}}

{{/* Pod security context, then the container's. */}}
{{- define "hearth.podSecurityContext" -}}
{{ toYaml .Values.podSecurityContext }}
{{- end -}}
{{- define "hearth.containerSecurityContext" -}}
{{ toYaml .Values.containerSecurityContext }}
{{- end -}}
