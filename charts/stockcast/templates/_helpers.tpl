{{/* Release-wide names and labels. */}}
{{- define "stockcast.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "stockcast.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else if contains (include "stockcast.name" .) .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "stockcast.name" .) | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "stockcast.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "stockcast.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: stockcast
stockcast.io/region: {{ required "region is required: install with -f values-<region>.yaml" .Values.region | quote }}
{{- end -}}

{{/* One service's names and labels; context: dict "root" $ "name" <service> "svc" <its values>. */}}
{{- define "stockcast.serviceName" -}}
{{- printf "%s-%s" (include "stockcast.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "stockcast.selectorLabels" -}}
app.kubernetes.io/name: {{ include "stockcast.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "stockcast.serviceLabels" -}}
{{ include "stockcast.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "stockcast.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "stockcast.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "stockcast.image" -}}
{{- $tag := .svc.image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- if .root.Values.image.registry -}}
{{- printf "%s/%s:%s" .root.Values.image.registry .svc.image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" .svc.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Redis:Configuration (StackExchange.Redis): the password comes in through $(REDIS_PASSWORD). */}}
{{- define "stockcast.redisConfiguration" -}}
{{- $r := .Values.redis -}}
{{- $parts := list $r.address -}}
{{- if $r.tls }}{{ $parts = append $parts "ssl=true" }}{{ end -}}
{{- if $r.sentinelServiceName }}{{ $parts = append $parts (printf "serviceName=%s" $r.sentinelServiceName) }}{{ end -}}
{{- if $r.passwordSecret.name }}{{ $parts = append $parts "password=$(REDIS_PASSWORD)" }}{{ end -}}
{{- if $r.extraOptions }}{{ $parts = append $parts $r.extraOptions }}{{ end -}}
{{- join "," $parts -}}
{{- end -}}

{{/*
A service's settings file (appsettings.Production.json): its config block, plus the region's
warehouses for the service that registers them.
*/}}
{{- define "stockcast.settings" -}}
{{- $config := deepCopy (.svc.config | default dict) -}}
{{- if .svc.warehousesSection -}}
{{- $warehouses := list -}}
{{- range .root.Values.warehouses -}}
{{- $warehouses = append $warehouses (dict "Id" .id "Region" .region "Markets" .markets "AllocationDelayMs" (get . "allocationDelayMs" | default 0)) -}}
{{- end -}}
{{- $section := deepCopy (get $config .svc.warehousesSection | default dict) -}}
{{- $_ := set $section "Warehouses" $warehouses -}}
{{- $_ := set $config .svc.warehousesSection $section -}}
{{- end -}}
{{- if and .svc.public .root.Values.ingress.enabled .root.Values.ingress.tlsSecretName (hasKey $config "Overlay") -}}
{{- /* The Ingress ends TLS: the pages' room cookies are Secure although the pod sees plain HTTP. */ -}}
{{- $overlay := deepCopy (get $config "Overlay" | default dict) -}}
{{- if not (hasKey $overlay "SecureCookies") }}{{ $_ := set $overlay "SecureCookies" true }}{{ end -}}
{{- $_ := set $config "Overlay" $overlay -}}
{{- end -}}
{{- toPrettyJson $config -}}
{{- end -}}
