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

{{/* The port /webhook is served on: its own, or the http port. */}}
{{- define "audiencectl.webhookPort" -}}
{{- if .Values.webhook.port }}{{ .Values.webhook.port }}{{ else }}{{ .Values.service.port }}{{ end }}
{{- end }}

{{/*
Refuses settings that would start a pod unable to sync. Missing values use required,
which helm lint reports as a warning and install/template as an error; nothing is
checked until git.url is set, so that the chart's defaults lint.
*/}}
{{- define "audiencectl.validate" -}}
{{- $url := required "git.url is required" .Values.git.url }}
{{- if $url }}
{{- $ownSecret := not .Values.secret.existingSecret }}
{{- if and (eq .Values.git.auth "token") $ownSecret }}
{{- required "git.auth is token: set secret.gitToken or secret.existingSecret" .Values.secret.gitToken | substr 0 0 }}
{{- end }}
{{- if and (eq .Values.git.auth "ssh") $ownSecret }}
{{- required "git.auth is ssh: set secret.gitSshPrivateKey or secret.existingSecret" .Values.secret.gitSshPrivateKey | substr 0 0 }}
{{- end }}
{{- if and (eq .Values.git.auth "ssh") (not .Values.git.ssh.insecureAcceptNewHostKeys) }}
{{- required "git.auth is ssh: set git.knownHosts (ssh-keyscan), or git.ssh.insecureAcceptNewHostKeys=true to trust the host on first use" .Values.git.knownHosts | substr 0 0 }}
{{- end }}
{{- if and .Values.webhook.enabled $ownSecret }}
{{- required "webhook.enabled: set secret.webhookSecret or secret.existingSecret" .Values.secret.webhookSecret | substr 0 0 }}
{{- end }}
{{- if and .Values.httpAuth.enabled $ownSecret }}
{{- required "httpAuth.enabled: set secret.httpToken or secret.existingSecret" .Values.secret.httpToken | substr 0 0 }}
{{- end }}
{{- if include "audiencectl.needsAep" . }}
{{- required "aep.orgId is required (only a dry run with reconcile.refreshInterval 0 needs no AEP access)" .Values.aep.orgId | substr 0 0 }}
{{- if $ownSecret }}
{{- required "set secret.aepClientId and secret.aepClientSecret, or secret.existingSecret (only a dry run with reconcile.refreshInterval 0 needs no AEP access)" (and .Values.secret.aepClientId .Values.secret.aepClientSecret) | substr 0 0 }}
{{- end }}
{{- end }}
{{- if eq .Values.state.backend "postgres" }}
{{- if $ownSecret }}
{{- required "state.backend is postgres: set secret.stateUrl or secret.existingSecret" .Values.secret.stateUrl | substr 0 0 }}
{{- end }}
{{- else if gt (int .Values.replicaCount) 1 }}
{{- fail "replicaCount > 1 needs state.backend postgres: the file state has one writer" }}
{{- end }}
{{- end }}
{{- end }}
