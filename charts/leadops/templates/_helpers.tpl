{{/*
The prefix of every object's name (27 characters at most, so that the longest name, its metrics
Service, stays a valid 63-character DNS label): the release name when it contains "leadops" (release "leadops" gives
the names config/default gives: leadops-controller-manager, leadops-api…), else <release>-leadops.
*/}}
{{- define "leadops.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 27 | trimSuffix "-" -}}
{{- else if contains "leadops" .Release.Name -}}
{{- .Release.Name | trunc 27 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-leadops" .Release.Name | trunc 27 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The labels config/default sets on every object, with Helm's own. */}}
{{- define "leadops.chartLabels" -}}
app.kubernetes.io/part-of: leadops
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* Labels of objects that carry no selector labels. */}}
{{- define "leadops.labels" -}}
{{ include "leadops.chartLabels" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
The manager pods' labels, selected by the Deployment, the Services, the PodDisruptionBudget and the
ServiceMonitor: config/default's two, plus the release so that two releases never select each other's pods.
*/}}
{{- define "leadops.selectorLabels" -}}
control-plane: controller-manager
app.kubernetes.io/name: leadops
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "leadops.serviceAccountName" -}}
{{ include "leadops.fullname" . }}-controller-manager
{{- end -}}

{{- define "leadops.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/* Combinations the schema cannot refuse on its own. */}}
{{- define "leadops.validate" -}}
{{- if and (eq .Values.store.type "sqlite") (gt (int .Values.replicas) 1) -}}
{{- fail "replicas > 1 needs store.type=postgres: the SQLite file is on a ReadWriteOnce volume, one pod at a time" -}}
{{- end -}}
{{- if and (gt (int .Values.replicas) 1) (not .Values.leaderElection) -}}
{{- fail "replicas > 1 needs leaderElection=true: otherwise every replica routes the same leads" -}}
{{- end -}}
{{- if and .Values.apiToken.create (not .Values.apiToken.tokens) -}}
{{- fail "apiToken.create=true needs apiToken.tokens (one name:token per line)" -}}
{{- end -}}
{{- if and .Values.store.dsnSecret.create (not .Values.store.dsnSecret.dsn) -}}
{{- fail "store.dsnSecret.create=true needs store.dsnSecret.dsn (postgres://…)" -}}
{{- end -}}
{{- end -}}
