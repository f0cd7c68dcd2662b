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
app.kubernetes.io/version: {{ include "audiencectl.version" . | quote }}
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

{{/*
Whether extraEnv gives a variable, (list . "NAME"): a credential from a Secret of the user's own
(an operator's, under its own key), whose entry then replaces the chart's reference to the
credentials Secret, which need not hold the key ("true", else empty).
*/}}
{{- define "audiencectl.extraEnvGives" -}}
{{- $name := index . 1 }}
{{- range (index . 0).Values.extraEnv }}{{ if eq .name $name }}true{{ end }}{{ end }}
{{- end }}

{{/*
The labels of the helm test's own objects (its Pod, its Service of the pods): not the chart's
selector labels, which the Services, the ServiceMonitor, the PodDisruptionBudget and the
NetworkPolicy select by. The ServiceMonitor selected the test's Service by them and scraped every
pod twice while it existed (after a failed test, until the next).
*/}}
{{- define "audiencectl.testLabels" -}}
helm.sh/chart: {{ include "audiencectl.chart" . }}
app.kubernetes.io/name: {{ printf "%s-test" (include "audiencectl.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ include "audiencectl.version" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
The controller's AEP client secret from the chart's Secret, as a file ("true", else empty): AEP
credentials are needed and extraEnv gives neither AEP_CLIENT_SECRET nor AEP_CLIENT_SECRET_FILE
(a Secret of the user's own, under its own key).
*/}}
{{- define "audiencectl.chartClientSecret" -}}
{{- if and (include "audiencectl.needsAep" .) (not (include "audiencectl.extraEnvGives" (list . "AEP_CLIENT_SECRET"))) (not (include "audiencectl.extraEnvGives" (list . "AEP_CLIENT_SECRET_FILE"))) }}true{{ end }}
{{- end }}

{{/*
Whether the chart gives the controller its webhook secret, as a file of the Secret's volume
(AUDIENCECTL_WEBHOOK_SECRET_FILE), read again when it changes: webhook.enabled, and extraEnv
gives neither AUDIENCECTL_WEBHOOK_SECRET nor AUDIENCECTL_WEBHOOK_SECRET_FILE (from a Secret of
the user's own, which replaces the chart's).
*/}}
{{- define "audiencectl.chartWebhookSecret" -}}
{{- if and .Values.webhook.enabled (not (include "audiencectl.extraEnvGives" (list . "AUDIENCECTL_WEBHOOK_SECRET"))) (not (include "audiencectl.extraEnvGives" (list . "AUDIENCECTL_WEBHOOK_SECRET_FILE"))) }}true{{ end }}
{{- end }}

{{/* The helm test's Service of the pods ready or not: a DNS label, 63 characters at most. */}}
{{- define "audiencectl.testPodsService" -}}
{{- printf "%s-pods" (include "audiencectl.fullname" . | trunc 58 | trimSuffix "-") }}
{{- end }}

{{/* The Secret holding credentials: the user's own, or the one this chart creates. */}}
{{- define "audiencectl.secretName" -}}
{{- default (include "audiencectl.fullname" .) .Values.secret.existingSecret }}
{{- end }}

{{/* The version label: the tag (or appVersion) made a valid label value, never the digest. */}}
{{- define "audiencectl.version" -}}
{{- regexReplaceAll "[^A-Za-z0-9._-]" (.Values.image.tag | default .Chart.AppVersion) "_" | trunc 63 | trimAll "_.-" }}
{{- end }}

{{- define "audiencectl.image" -}}
{{- $ref := printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- if .Values.image.digest }}
{{- $ref = ternary (printf "%s@%s" .Values.image.repository .Values.image.digest) (printf "%s@%s" $ref .Values.image.digest) (not .Values.image.tag) }}
{{- end }}
{{- $ref }}
{{- end }}

{{/* Whether the controller talks to AEP: all but a dry run that never refreshes. */}}
{{- define "audiencectl.needsAep" -}}
{{- $noRefresh := regexMatch "^(0+(d|h|m|s|ms)?)+$" (toString .Values.reconcile.refreshInterval) }}
{{- if not (and .Values.reconcile.dryRun $noRefresh) }}true{{ end }}
{{- end }}

{{/*
The pod's own ports, whatever the Service's: it runs as a non-root user with every capability
dropped, which cannot bind a port below 1024 where net.ipv4.ip_unprivileged_port_start keeps
the kernel's default, so service.port 80 or webhook.port 443 map here (targetPort by name).
*/}}
{{- define "audiencectl.httpContainerPort" -}}8080{{- end }}
{{- define "audiencectl.webhookContainerPort" -}}8081{{- end }}

{{/*
A duration or size value as written: (list key value). A number from a values file arrives as
float64, which prints as 2e+06 from 1,000,000 on (the controller refuses that duration), so a
number is written whole, and one with a fraction is refused naming the key (seconds and bytes
are whole; 1m30s or 512Mi say the rest).
*/}}
{{- define "audiencectl.wholeValue" -}}
{{- $key := index . 0 }}
{{- $value := index . 1 }}
{{- if kindIs "string" $value }}
{{- $value }}
{{- else if ne (float64 (int64 $value)) (float64 $value) }}
{{- fail (printf "%s %v is not a whole number: a number here is whole seconds or bytes; write a duration (1m30s, 500ms) or a quantity (512Mi) instead" $key $value) }}
{{- else }}
{{- printf "%d" (int64 $value) }}
{{- end }}
{{- end }}
