{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "audiencectl.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: release-chart unless the release name already holds it. */}}
{{- define "audiencectl.fullname" -}}
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

{{- define "audiencectl.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "audiencectl.labels" -}}
helm.sh/chart: {{ include "audiencectl.chart" . }}
{{ include "audiencectl.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "audiencectl.selectorLabels" -}}
app.kubernetes.io/name: {{ include "audiencectl.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "audiencectl.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "audiencectl.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding credentials: the user's own, or the one this chart creates. */}}
{{- define "audiencectl.secretName" -}}
{{- default (include "audiencectl.fullname" .) .Values.secret.existingSecret }}
{{- end }}

{{- define "audiencectl.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* Refuses settings that would start a pod unable to sync. */}}
{{- define "audiencectl.validate" -}}
{{- $ownSecret := not .Values.secret.existingSecret }}
{{- if and (eq .Values.git.auth "token") $ownSecret (not .Values.secret.gitToken) }}
{{- fail "git.auth is token: set secret.gitToken or secret.existingSecret" }}
{{- end }}
{{- if and (eq .Values.git.auth "ssh") $ownSecret (not .Values.secret.gitSshPrivateKey) }}
{{- fail "git.auth is ssh: set secret.gitSshPrivateKey or secret.existingSecret" }}
{{- end }}
{{- if and .Values.webhook.enabled $ownSecret (not .Values.secret.webhookSecret) }}
{{- fail "webhook.enabled: set secret.webhookSecret or secret.existingSecret" }}
{{- end }}
{{- end }}
