{{/*
Refuses settings that would start a pod unable to sync. Missing values use required,
which helm lint reports as a warning and install/template as an error; nothing is
checked until git.url is set, so that the chart's defaults lint.

The values that may hold a secret (git.url, secret.*) are checked here rather than by
values.schema.json: helm 4 quotes a value its schema refuses, and these messages name the
key only.
*/}}
{{- define "audiencectl.validate" -}}
{{- include "audiencectl.validateForms" . }}
{{- $url := required "git.url is required" .Values.git.url }}
{{- if $url }}
{{- include "audiencectl.validateGitUrl" $url }}
{{- include "audiencectl.validateSecretValues" .Values.secret }}
{{- $ownSecret := not .Values.secret.existingSecret }}
{{- /* Each credential goes over one transport: a token for the other would never be sent, nor a key. */}}
{{- $https := hasPrefix "https://" $url }}
{{- if and (eq .Values.git.auth "token") (not $https) }}
{{- fail "git.auth is token, which git sends over https:// only, but git.url is an ssh URL (ssh:// or user@host:path): give the repository's https:// URL, or use git.auth ssh with a deploy key" }}
{{- else if and (eq .Values.git.auth "ssh") $https }}
{{- fail "git.auth is ssh (a deploy key, which ssh alone uses), but git.url is https://: give the repository's ssh URL (git@host:org/repo.git), or use git.auth token" }}
{{- end }}
{{- if and (eq .Values.git.auth "token") $ownSecret }}
{{- required "git.auth is token: set secret.gitToken or secret.existingSecret" .Values.secret.gitToken | substr 0 0 }}
{{- end }}
{{- if and (eq .Values.git.auth "ssh") $ownSecret }}
{{- required "git.auth is ssh: set secret.gitSshPrivateKey or secret.existingSecret" .Values.secret.gitSshPrivateKey | substr 0 0 }}
{{- end }}
{{- if and (eq .Values.git.auth "ssh") (not .Values.git.ssh.insecureAcceptNewHostKeys) }}
{{- required "git.auth is ssh: set git.knownHosts (ssh-keyscan), or git.ssh.insecureAcceptNewHostKeys=true to trust the host on first use" .Values.git.knownHosts | substr 0 0 }}
{{- end }}
{{- if and (include "audiencectl.chartWebhookSecret" .) $ownSecret }}
{{- required "webhook.enabled: set secret.webhookSecret or secret.existingSecret" .Values.secret.webhookSecret | substr 0 0 }}
{{- end }}
{{- if and .Values.httpAuth.enabled $ownSecret }}
{{- required "httpAuth.enabled: set secret.httpToken or secret.existingSecret" .Values.secret.httpToken | substr 0 0 }}
{{- end }}
{{- if include "audiencectl.needsAep" . }}
{{- required "aep.orgId is required (only a dry run with reconcile.refreshInterval 0 needs no AEP access)" .Values.aep.orgId | substr 0 0 }}
{{- if $ownSecret }}
{{- required "set secret.aepClientId and secret.aepClientSecret, or secret.existingSecret (only a dry run with reconcile.refreshInterval 0 needs no AEP access)" (and (or .Values.secret.aepClientId (include "audiencectl.extraEnvGives" (list . "AEP_CLIENT_ID"))) (or .Values.secret.aepClientSecret (include "audiencectl.extraEnvGives" (list . "AEP_CLIENT_SECRET")))) | substr 0 0 }}
{{- end }}
{{- end }}
{{- if and (ne .Values.service.type "ClusterIP") (not .Values.httpAuth.enabled) }}
{{- fail (printf "service.type %s publishes the http port, with /status, /plan and /metrics (your audiences), on an address outside the cluster: set httpAuth.enabled (a token on them), or keep ClusterIP and let an Ingress reach /webhook alone" .Values.service.type) }}
{{- end }}
{{- if and .Values.webhook.enabled .Values.webhook.port (eq (int .Values.webhook.port) (int .Values.service.port)) }}
{{- fail "webhook.port equals service.port: the Service would carry one port twice; give the webhook a port of its own, or 0 to serve /webhook on service.port" }}
{{- end }}
{{- if eq .Values.state.backend "postgres" }}
{{- if and $ownSecret (not (include "audiencectl.extraEnvGives" (list . "AUDIENCECTL_STATE"))) }}
{{- required "state.backend is postgres: set secret.stateUrl or secret.existingSecret" .Values.secret.stateUrl | substr 0 0 }}
{{- end }}
{{- include "audiencectl.validateDisruptionBudget" . }}
{{- else if gt (int .Values.replicaCount) 1 }}
{{- fail "replicaCount > 1 needs state.backend postgres: the file state has one writer" }}
{{- end }}
{{- /* A Deployment's replicas are an int32: Kubernetes would refuse it at install, naming spec.replicas. */}}
{{- if gt (float64 .Values.replicaCount) 2147483647.0 }}
{{- fail (printf "replicaCount %.0f is more than a Deployment holds (at most 2147483647, an int32): Kubernetes would refuse the Deployment at install" (float64 .Values.replicaCount)) }}
{{- end }}
{{- if lt (int .Values.terminationGracePeriodSeconds) 10 }}
{{- fail "terminationGracePeriodSeconds must be at least 10: the controller gets 5 s less (AUDIENCECTL_SHUTDOWN_GRACE) to finish its API calls and release the state lock before it is killed" }}
{{- end }}
{{- /* Kubernetes takes any int64; the controller refuses a grace over 24d (2147483647 ms) at start: a crash loop. */}}
{{- if gt (float64 .Values.terminationGracePeriodSeconds) 2147488.0 }}
{{- fail (printf "terminationGracePeriodSeconds %.0f is too long (at most 2147488, about 24.8 days): the controller's shutdown grace, 5 s less (AUDIENCECTL_SHUTDOWN_GRACE), would be over 24d, which it refuses at start (a Node.js timer holds no longer)" (float64 .Values.terminationGracePeriodSeconds)) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
A query, fragment or path parameter's name that holds a credential, and its =, as the app reads
them (src/text/safe-url.ts): git.url's and aep.*Url's checks put it after their own separators
and (?i), for any letter case.
*/}}
{{- define "audiencectl.credentialName" -}}
([^=&;#]*(secret|token|password|passwd|signature|credential|private)[^=&;#]*|sig|key|pwd|pass|code|auth|apikey|api[-_]key|x[-_]api[-_]key|session|session[-_]?id|jsessionid)=
{{- end }}

{{/*
git.url: https://host/path, ssh://[user@]host[:port]/path or user@host:path, without
credentials; the query's and the fragment's credential names in any letter case, a pair
starting after ?, &, # or (in the query or fragment) ;, as the controller reads them. The
path's ;name=value parameters too (`/scm/acme;jsessionid=…/a.git`), each segment's after its
first ;, their pairs split at ; and &: git sends the path as written with every request.
The first failing rule is named, never the value: a token pasted into the URL must not
reach the deploy job's log.
*/}}
{{- define "audiencectl.validateGitUrl" -}}
{{- $url := . }}
{{- /* Every segment's parameters, each starting with its ;, none holding a /. */}}
{{- $pathParameters := regexFindAll ";[^/]*" (regexReplaceAll "[?#].*" $url "") -1 | join "" }}
{{- $fetched := `^(https|ssh)://[^-\s@/][^\s@/]*/[^\s]*$|^ssh://[A-Za-z0-9._~-]+@[^-\s@/:][^\s@/:]*(:[0-9]+)?/[^\s]*$|^[A-Za-z0-9._~-]+@[A-Za-z0-9][A-Za-z0-9.-]*:[^\s-][^\s]*$` }}
{{- if regexMatch `\s` $url }}
{{- fail "git.url holds a blank: a repository URL has none (a pasted command or a second word?)" }}
{{- else if regexMatch `^https://[^/]*@` $url }}
{{- fail "git.url holds a user or password before its host: https:// takes neither (a token there would show wherever the URL does); put the token in secret.gitToken with git.auth token" }}
{{- else if regexMatch `^ssh://[^/@]*:[^/@]*@` $url }}
{{- fail "git.url holds a password after its user: ssh:// takes none; use a deploy key (secret.gitSshPrivateKey, git.auth ssh)" }}
{{- else if regexMatch `^[^:/@]*:[^/@]*@` $url }}
{{- fail "git.url holds a password after its user: user@host:path takes none; use a deploy key (secret.gitSshPrivateKey, git.auth ssh)" }}
{{- else if regexMatch (printf "(?i)([?&#]|[?#].*;)%s" (include "audiencectl.credentialName" $url)) $url }}
{{- fail "git.url holds a credential in its query or fragment (a token, key, password or signature parameter): put the token in secret.gitToken with git.auth token" }}
{{- else if regexMatch `([?&#]|[?#].*;)[^=&;#]*%[^=&;#]*=` $url }}
{{- /* The controller decodes the names before judging them (%74oken is token): so does no regular expression. */}}
{{- fail "git.url holds a percent-encoded name in its query: write the name plainly (a credential there is refused, and must be checked before it reaches the ConfigMap)" }}
{{- else if regexMatch (printf "(?i)[;&]%s" (include "audiencectl.credentialName" $url)) $pathParameters }}
{{- fail "git.url holds a credential in a ;name=value parameter of its path (a token, key, password, session or signature parameter), which git sends with every request: put the token in secret.gitToken with git.auth token" }}
{{- else if regexMatch `[;&][^=&;]*%[^=&;]*=` $pathParameters }}
{{- fail "git.url holds a percent-encoded name in a ;name=value parameter of its path: write the name plainly (a credential there is refused, and must be checked before it reaches the ConfigMap)" }}
{{- else if and (regexMatch `^[A-Za-z][A-Za-z0-9+.-]*:(//|:)` $url) (not (regexMatch `^(https|ssh)://|^[^:/]*@` $url)) }}
{{- fail "git.url must use https:// or ssh:// (or be user@host:path): http:// and git:// send the token and the manifests unencrypted, and ext:: or file:// run or read what the pod should not" }}
{{- else if not (regexMatch $fetched $url) }}
{{- fail "git.url is not a repository URL: https://host/path, ssh://[user@]host[:port]/path or user@host:path, the host not starting with -" }}
{{- end }}
{{- end }}

{{/*
The secrets' forms the app checks at start, refused here naming the key only (never the value).
*/}}
{{- define "audiencectl.validateSecretValues" -}}
{{- if and .webhookSecret (lt (len (trim .webhookSecret)) 16) }}
{{- fail "secret.webhookSecret is shorter than 16 characters (blanks at either end not counted): the controller refuses it at start; make one with openssl rand -hex 32" }}
{{- end }}
{{- if and .httpToken (not (regexMatch `^\S{16,}$` .httpToken)) }}
{{- fail "secret.httpToken must be at least 16 characters without blanks: the controller refuses it at start; make one with openssl rand -hex 32" }}
{{- end }}
{{- if and .stateUrl (not (regexMatch `^postgres(ql)?://` .stateUrl)) }}
{{- fail "secret.stateUrl must start with postgres:// or postgresql://: the state database's URL (state.backend postgres)" }}
{{- end }}
{{- end }}

{{/*
The forms values.schema.json leaves to the templates, so that a refusal says why, in one
line naming the value: a schema pattern is printed as the regular expression itself.
Checked whether or not git.url is set (these have valid defaults), so lint sees them too.
*/}}
{{- /*
The other end of the controller's range (src/config/duration.ts MAX_DURATION_MS): a wait
over 2147483647 ms (about 24.8 days, what a Node.js timer holds) is refused at start, "is
too long (at most 24d)", a crash loop after an install that reported success. Summed here in
milliseconds as the controller reads it: a bare number is seconds, else `<integer><unit>`
groups. A group of more than 10 digits (leading zeros aside) is over the limit in any unit,
and is refused before it is summed, so no sum leaves int64. Numbers from a values file
arrive as float64, so those are compared as such.
*/}}
{{- define "audiencectl.validateIntervalLength" -}}
{{- $key := index . 0 }}
{{- $value := index . 1 }}
{{- $tooLong := false }}
{{- if kindIs "string" $value }}
{{- $ms := 0 }}
{{- $units := dict "d" 86400000 "h" 3600000 "m" 60000 "s" 1000 "ms" 1 }}
{{- $groups := regexFindAll `\d+(d|h|ms|m|s)?` $value -1 }}
{{- range $groups }}
{{- $digits := regexReplaceAll `^0+` (regexReplaceAll `[a-z]+$` . "") "" | default "0" }}
{{- $unit := regexReplaceAll `^\d+` . "" | default "s" }}
{{- if gt (len $digits) 10 }}
{{- $tooLong = true }}
{{- else }}
{{- $ms = add $ms (mul (atoi $digits) (get $units $unit)) }}
{{- end }}
{{- end }}
{{- if gt (int64 $ms) 2147483647 }}
{{- $tooLong = true }}
{{- end }}
{{- else if gt (float64 $value) 2147483.647 }}
{{- $tooLong = true }}
{{- end }}
{{- if $tooLong }}
{{- /* A number as written (a values file's float64 would print as 3e+06). */}}
{{- $shown := ternary (quote $value) (printf "%.0f" (float64 $value)) (kindIs "string" $value) }}
{{- fail (printf "%s %s is too long (at most 24d): the controller refuses it at start (a Node.js timer holds no longer)" $key $shown) }}
{{- end }}
{{- end }}

{{- define "audiencectl.validateForms" -}}
{{- $v := .Values }}
{{- if and $v.image.tag (not (regexMatch `^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$` $v.image.tag)) }}
{{- fail (printf "image.tag %q is not an image tag: up to 128 letters, digits, _ . and -, not starting with . or - (a digest goes in image.digest)" $v.image.tag) }}
{{- end }}
{{- if and $v.image.digest (not (regexMatch `^sha256:[a-f0-9]{64}$` $v.image.digest)) }}
{{- fail (printf "image.digest %q is not a digest: sha256: and 64 lower-case hexadecimal digits" $v.image.digest) }}
{{- end }}
{{- if not (regexMatch `^[^-\s~^:?*\[\\][^\s~^:?*\[\\]*$` $v.git.branch) }}
{{- fail (printf "git.branch %q is not a branch name: no blanks or ~ ^ : ? * [ \\, and no leading - (git would read it as an option)" $v.git.branch) }}
{{- end }}
{{- /* The rest of what the controller refuses at start (src/source/git-options.ts checkBranch): a crash loop. */}}
{{- if or (regexMatch `^/|/$|\.$|\.lock$|\.\.|//|@\{|(^|/)\.` $v.git.branch) (eq $v.git.branch "@") }}
{{- fail (printf "git.branch %q is not a branch name git takes: no .. // or @{, no part starting with ., not starting or ending with /, not ending with . or .lock, not @ alone (the controller refuses it at start); give its short name, e.g. main" $v.git.branch) }}
{{- end }}
{{- if and $v.git.path (not (regexMatch `^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$` $v.git.path)) }}
{{- fail (printf "git.path %q is not a directory inside the repository: relative, names of letters, digits, _ . and - joined by /, no . or .. segment" $v.git.path) }}
{{- end }}
{{- range $key, $value := dict "git.interval" $v.git.interval "reconcile.resyncInterval" $v.reconcile.resyncInterval "reconcile.refreshInterval" $v.reconcile.refreshInterval }}
{{- if and (kindIs "string" $value) (not (regexMatch `^(\d+|(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?)$` $value)) }}
{{- fail (printf "%s %q is not a duration: 30s, 10m, 1h30m, 2d, 500ms, or a number of seconds" $key $value) }}
{{- end }}
{{- /* The schema's minimum is 0 for refreshInterval's sake; the controller refuses the others at 0. */}}
{{- if and (ne $key "reconcile.refreshInterval") (regexMatch `^(0+(d|h|m|s|ms)?)+$` (toString $value)) }}
{{- fail (printf "%s %q is not more than 0: the controller refuses it at start (it would spin); only reconcile.refreshInterval takes 0, for never" $key (toString $value)) }}
{{- end }}
{{- include "audiencectl.validateIntervalLength" (list $key $value) }}
{{- end }}
{{- if and $v.aep.orgId (not (regexMatch `^[A-Za-z0-9]+@AdobeOrg$` $v.aep.orgId)) }}
{{- fail (printf "aep.orgId %q is not an IMS organisation id: letters and digits, then @AdobeOrg" $v.aep.orgId) }}
{{- end }}
{{- if not (regexMatch `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$` $v.aep.sandbox) }}
{{- fail (printf "aep.sandbox %q is not a sandbox name: lower-case letters, digits and -, not starting or ending with -" $v.aep.sandbox) }}
{{- end }}
{{- range $key, $value := dict "aep.baseUrl" $v.aep.baseUrl "aep.imsUrl" $v.aep.imsUrl }}
{{- include "audiencectl.validateAepUrl" (list $key $value) }}
{{- end }}
{{- range $key, $value := dict "persistence.size" $v.persistence.size "workDir.sizeLimit" (($v.workDir | default dict).sizeLimit | default "1Gi") }}
{{- if and (kindIs "string" $value) (not (regexMatch `^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$` $value)) }}
{{- fail (printf "%s %q is not a Kubernetes quantity: a number with a unit such as 512Mi or 1Gi" $key $value) }}
{{- end }}
{{- end }}
{{- with $v.serviceMonitor }}
{{- range $key, $value := dict "serviceMonitor.interval" .interval "serviceMonitor.scrapeTimeout" .scrapeTimeout }}
{{- if and $value (not (regexMatch `^(0|(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?)$` $value)) }}
{{- fail (printf "%s %q is not a Prometheus duration: e.g. 30s, 1m30s" $key $value) }}
{{- end }}
{{- end }}
{{- /* The Prometheus Operator skips a ServiceMonitor whose timeout exceeds its interval, saying so in its own log only. */}}
{{- if and .enabled (gt (float64 (include "audiencectl.prometheusMs" .scrapeTimeout)) (float64 (include "audiencectl.prometheusMs" .interval))) }}
{{- fail (printf "serviceMonitor.scrapeTimeout %q is longer than serviceMonitor.interval %q: the Prometheus Operator rejects such a ServiceMonitor and /metrics is never scraped; give a scrapeTimeout of at most the interval" .scrapeTimeout .interval) }}
{{- end }}
{{- end }}
{{- range $v.extraEnv }}
{{- if not (regexMatch `^[A-Za-z_][A-Za-z0-9_]*$` .name) }}
{{- fail (printf "extraEnv: %q is not an environment variable name: letters, digits and _, not starting with a digit" .name) }}
{{- end }}
{{- end }}
{{- /* A second value for a selector label would be a duplicate key in the pod template, or win and leave the pods unselected. */}}
{{- range $key, $_ := include "audiencectl.selectorLabels" . | fromYaml }}
{{- if hasKey ($v.podLabels | default dict) $key }}
{{- fail (printf "podLabels sets %s, a label of the chart's selector: the Deployment, the Service and the NetworkPolicy would no longer select the pods; use another key" $key) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
aep.baseUrl and aep.imsUrl go into the ConfigMap, readable by whoever may get configmaps: a
credential in one (user info, a secret-looking query or fragment parameter, as the app masks
them) is refused, and the value is never quoted, even when it is merely not a URL (a mistyped
scheme before a password). One that needs a credential comes from the user's own Secret
through extraEnv, which the pod's env gives precedence over the ConfigMap.
*/}}
{{- define "audiencectl.validateAepUrl" -}}
{{- $key := index . 0 }}
{{- $url := index . 1 }}
{{- $env := ternary "AEP_BASE_URL" "AEP_IMS_URL" (eq $key "aep.baseUrl") }}
{{- $instead := printf "it would be written in plain into the ConfigMap; set %s from a Secret of yours through extraEnv (valueFrom.secretKeyRef) instead" $env }}
{{- if regexMatch `^[^/?#]*//[^/?#]*@` $url }}
{{- fail (printf "%s holds a user or password before its host: %s" $key $instead) }}
{{- else if regexMatch (printf "(?i)[?&;#]%s" (include "audiencectl.credentialName" $url)) $url }}
{{- fail (printf "%s holds a credential in its query (a token, key, password or signature parameter): %s" $key $instead) }}
{{- else if regexMatch `[?&;#][^=&;#]*%[^=&;#]*=` $url }}
{{- fail (printf "%s holds a percent-encoded name in its query: write the name plainly (a credential there is refused, and must be checked before it reaches the ConfigMap)" $key) }}
{{- else if not (regexMatch `^https?://[^/?#\s]\S*$` $url) }}
{{- fail (printf "%s is not a URL: https:// (http:// for a local emulator); the value is not shown, as it may hold a credential" $key) }}
{{- end }}
{{- end }}

{{/*
A Prometheus duration (checked by validateForms: 1y2w3d4h5m6s7ms, or 0) in milliseconds, summed
in float64 so that no count of years leaves the number.
*/}}
{{- define "audiencectl.prometheusMs" -}}
{{- $units := dict "y" 31536000000.0 "w" 604800000.0 "d" 86400000.0 "h" 3600000.0 "m" 60000.0 "s" 1000.0 "ms" 1.0 }}
{{- $ms := 0.0 }}
{{- range regexFindAll `\d+(ms|y|w|d|h|m|s)` (toString .) -1 }}
{{- $ms = addf $ms (mulf (float64 (regexReplaceAll `[a-z]+$` . "")) (get $units (regexReplaceAll `^\d+` . ""))) }}
{{- end }}
{{- $ms }}
{{- end }}

{{/*
The PodDisruptionBudget (postgres, more than one replica) must let one pod go: a minAvailable of
replicaCount or more, or a percentage Kubernetes rounds up to it ("100%", 67% of 3), allows no
eviction, and every node drain waits for it forever, far from the chart.
*/}}
{{- define "audiencectl.validateDisruptionBudget" -}}
{{- $replicas := float64 .Values.replicaCount }}
{{- $min := .Values.podDisruptionBudget.minAvailable }}
{{- if gt $replicas 1.0 }}
{{- $kept := 0.0 }}
{{- if kindIs "string" $min }}
{{- if regexMatch `^[0-9]+%$` $min }}
{{- $kept = ceil (divf (mulf $replicas (float64 (trimSuffix "%" $min))) 100.0) }}
{{- else if regexMatch `^[0-9]+$` $min }}
{{- /* --set-string's "2" is written unquoted: the number 2 to Kubernetes. */}}
{{- $kept = float64 $min }}
{{- end }}
{{- else }}
{{- $kept = float64 $min }}
{{- end }}
{{- if ge $kept $replicas }}
{{- $shown := ternary (quote $min) (printf "%.0f" (float64 $min)) (kindIs "string" $min) }}
{{- fail (printf "podDisruptionBudget.minAvailable %s leaves no pod of replicaCount %.0f to evict: every node drain would wait forever; give fewer than replicaCount (1 by default)" $shown $replicas) }}
{{- end }}
{{- end }}
{{- end }}
