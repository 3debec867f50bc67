{{- define "eksaccess.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "eksaccess.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "eksaccess.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "eksaccess.identitiesSecret" -}}
{{- .Values.identities.secretName | default (printf "%s-identities" (include "eksaccess.fullname" .)) -}}
{{- end -}}

{{- define "eksaccess.tlsSecret" -}}
{{- .Values.tls.secretName | default (printf "%s-certs" (include "eksaccess.fullname" .)) -}}
{{- end -}}

{{- define "eksaccess.scheme" -}}
{{- if .Values.tls.enabled }}HTTPS{{ else }}HTTP{{ end -}}
{{- end -}}

{{/* Checks of the values, one message each. */}}
{{- define "eksaccess.validate" -}}
{{- if not (has .Values.database.type (list "sqlite" "postgres")) -}}
{{- fail (printf "database.type %q: want sqlite or postgres" .Values.database.type) -}}
{{- end -}}
{{- if and (eq .Values.database.type "sqlite") (gt (int .Values.replicaCount) 1) -}}
{{- fail "replicaCount > 1 needs database.type=postgres: a SQLite database holds one replica's state" -}}
{{- end -}}
{{- if and (eq .Values.database.type "postgres") (not .Values.database.postgres.secretName) -}}
{{- fail "database.type=postgres needs database.postgres.secretName (a Secret whose key database.postgres.key holds the DSN)" -}}
{{- end -}}
{{- if not (has .Values.auth (list "sigv4" "open")) -}}
{{- fail (printf "auth %q: want sigv4 or open" .Values.auth) -}}
{{- end -}}
{{- if and (eq .Values.auth "sigv4") (not .Values.identities.secretName) (not .Values.identities.content) -}}
{{- fail "auth=sigv4 needs the identities file: identities.secretName, or --set-file identities.content=identities.yaml" -}}
{{- end -}}
{{- if and (eq .Values.auth "open") (not .Values.openListenAny) -}}
{{- fail "auth=open in a pod listens on all interfaces: set openListenAny=true to accept unauthenticated access (CI clusters only), or use auth=sigv4" -}}
{{- end -}}
{{- if and .Values.tls.enabled (not .Values.tls.secretName) (not .Values.tls.cert) -}}
{{- fail "tls.enabled needs tls.secretName (keys eksaccess.crt, eksaccess.key, ca.crt), or --set-file tls.cert=…,tls.key=…,tls.clientCA=…" -}}
{{- end -}}
{{- end -}}
