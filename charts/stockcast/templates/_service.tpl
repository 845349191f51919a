{{/*
Everything one service needs, rendered by services.yaml for each enabled entry of .Values.services.
Context: dict "root" $ "name" <service name> "svc" <its value block>. Per-service differences come
from values only.
*/}}

{{- define "stockcast.service.settings" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "stockcast.serviceName" . }}-settings
  labels:
    {{- include "stockcast.serviceLabels" . | nindent 4 }}
data:
  appsettings.Production.json: |
    {{- include "stockcast.settings" . | nindent 4 }}
{{- end -}}

{{- define "stockcast.service.env" -}}
{{- $root := .root -}}
{{- $scheme := ternary "https" "http" $root.Values.tls.enabled -}}
- name: ASPNETCORE_ENVIRONMENT
  value: Production
- name: Kestrel__Endpoints__Grpc__Url
  value: {{ printf "%s://0.0.0.0:%v" $scheme .svc.ports.grpc | quote }}
{{- if $root.Values.tls.enabled }}
{{- /* The Secret's files (cert-manager's names): Kestrel serves the gRPC port with tls.crt, the clients trust ca.crt only. */}}
- name: Kestrel__Endpoints__Grpc__Certificate__Path
  value: /etc/stockcast/tls/tls.crt
- name: Kestrel__Endpoints__Grpc__Certificate__KeyPath
  value: /etc/stockcast/tls/tls.key
- name: Tls__CaPath
  value: /etc/stockcast/tls/ca.crt
{{- end }}
- name: Kestrel__Endpoints__Http__Url
  value: {{ printf "http://0.0.0.0:%v" .svc.ports.http | quote }}
- name: Kestrel__Endpoints__Management__Url
  value: {{ printf "http://0.0.0.0:%v" .svc.ports.management | quote }}
- name: Grpc__ShutdownTimeoutSeconds
  value: {{ .svc.shutdown.drainSeconds | quote }}
{{- with $root.Values.redis.passwordSecret }}
{{- if .name }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .key }}
{{- end }}
{{- end }}
- name: Redis__Configuration
  value: {{ include "stockcast.redisConfiguration" $root | quote }}
- name: Redis__Namespace
  value: {{ $root.Values.redis.namespace | quote }}
{{- range $key, $target := .svc.addresses }}
- name: {{ $key | replace ":" "__" }}
  {{- if contains "://" $target }}
  value: {{ $target | quote }}
  {{- else }}
  {{- $peer := index $root.Values.services $target }}
  {{- $host := include "stockcast.serviceName" (dict "root" $root "name" $target) }}
  {{- if $peer.headless }}
  {{- /* One DNS record per ready pod: the caller's client spreads calls and Watch streams over them (round_robin). */}}
  value: {{ printf "dns:///%s-headless:%v" $host $peer.ports.grpc | quote }}
  {{- else }}
  value: {{ printf "%s://%s:%v" $scheme $host $peer.ports.grpc | quote }}
  {{- end }}
  {{- end }}
{{- end }}
{{- /* Peer regions' ledgers (top-level peers), for the service that reads them; the key from its Secret. */}}
{{- if .svc.peersSection }}
{{- $section := .svc.peersSection }}
{{- range $i, $peer := $root.Values.peers }}
- name: {{ $section }}__PeerLedgers__{{ $i }}__Region
  value: {{ $peer.region | quote }}
- name: {{ $section }}__PeerLedgers__{{ $i }}__Address
  value: {{ $peer.ledgerAddress | quote }}
{{- with $peer.apiKeySecret }}
- name: {{ $section }}__PeerLedgers__{{ $i }}__ApiKey
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .key }}
{{- end }}
{{- end }}
{{- end }}
{{- range $i, $k := .svc.apiKeys }}
- name: Auth__ApiKeys__{{ $i }}__Name
  value: {{ $k.name | quote }}
- name: Auth__ApiKeys__{{ $i }}__Access
  value: {{ $k.access | quote }}
- name: Auth__ApiKeys__{{ $i }}__Key
  valueFrom:
    secretKeyRef:
      name: {{ $k.secretName }}
      key: {{ $k.secretKey }}
{{- end }}
{{- range $key, $ref := .svc.secretConfig }}
- name: {{ $key | replace ":" "__" }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.secretName }}
      key: {{ $ref.key }}
{{- end }}
{{- with .svc.env }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "stockcast.service.deployment" -}}
{{- $root := .root -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "stockcast.serviceName" . }}
  labels:
    {{- include "stockcast.serviceLabels" . | nindent 4 }}
spec:
  {{- if not .svc.autoscaling.enabled }}
  replicas: {{ .svc.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  selector:
    matchLabels:
      {{- include "stockcast.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "stockcast.serviceLabels" . | nindent 8 }}
      annotations:
        checksum/settings: {{ include "stockcast.settings" . | sha256sum }}
        {{- if and $root.Values.dapr.enabled .svc.dapr.enabled }}
        {{- /* Dapr endpoints refuse every call without the app token: no Secret, no release. */}}
        {{- if not $root.Values.dapr.appTokenSecret }}
        {{- fail (printf "services.%s.dapr.enabled needs dapr.appTokenSecret: the Secret with the app API token the sidecar sends (docs/deploy.md, Dapr)" .name) }}
        {{- end }}
        {{- $tokenSetting := false }}
        {{- range $key, $_ := .svc.secretConfig }}{{ if hasSuffix ":Dapr:AppApiToken" $key }}{{ $tokenSetting = true }}{{ end }}{{ end }}
        {{- if not $tokenSetting }}
        {{- fail (printf "services.%s.dapr.enabled needs secretConfig.\"<Section>:Dapr:AppApiToken\" from the Secret dapr.appTokenSecret names: the service checks the token the sidecar sends" .name) }}
        {{- end }}
        dapr.io/enabled: "true"
        dapr.io/app-id: {{ include "stockcast.serviceName" . }}
        dapr.io/app-port: {{ .svc.ports.http | quote }}
        dapr.io/app-protocol: http
        dapr.io/log-level: {{ $root.Values.dapr.logLevel }}
        dapr.io/app-token-secret: {{ $root.Values.dapr.appTokenSecret }}
        {{- with $root.Values.dapr.apiTokenSecret }}
        dapr.io/api-token-secret: {{ . }}
        {{- end }}
        {{- end }}
        {{- with .svc.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "stockcast.serviceAccountName" $root }}
      automountServiceAccountToken: false
      {{- with $root.Values.image.pullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      # preStop pause + Watch/SSE drain (Grpc:ShutdownTimeoutSeconds) + a margin before SIGKILL.
      terminationGracePeriodSeconds: {{ add .svc.shutdown.preStopSeconds .svc.shutdown.drainSeconds 5 }}
      securityContext:
        runAsNonRoot: true
        runAsUser: 1654
        runAsGroup: 1654
        fsGroup: 1654
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: {{ .name }}
          image: {{ include "stockcast.image" . }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          ports:
            - name: grpc
              containerPort: {{ .svc.ports.grpc }}
            - name: http
              containerPort: {{ .svc.ports.http }}
            # Metrics and health only; never behind the Ingress, reachable from metricsFrom only.
            - name: management
              containerPort: {{ .svc.ports.management }}
          env:
            {{- include "stockcast.service.env" . | nindent 12 }}
          {{- if $root.Values.tls.enabled }}
          # The kubelet's gRPC probes cannot speak TLS: the same checks over the management port
          # (/healthz: the process answers; /readyz: the "ready" checks, Redis reachable).
          startupProbe:
            httpGet: {path: /healthz, port: management}
            periodSeconds: 2
            failureThreshold: 30
          livenessProbe:
            httpGet: {path: /healthz, port: management}
            periodSeconds: 10
            failureThreshold: 3
          readinessProbe:
            httpGet: {path: /readyz, port: management}
            periodSeconds: 5
            failureThreshold: 2
          {{- else }}
          startupProbe:
            grpc:
              port: {{ .svc.ports.grpc }}
              service: liveness
            periodSeconds: 2
            failureThreshold: 30
          # Liveness: the process answers (a Redis outage must not restart pods).
          livenessProbe:
            grpc:
              port: {{ .svc.ports.grpc }}
              service: liveness
            periodSeconds: 10
            failureThreshold: 3
          # Readiness: grpc.health.v1 with the "ready" checks (Redis reachable).
          readinessProbe:
            grpc:
              port: {{ .svc.ports.grpc }}
            periodSeconds: 5
            failureThreshold: 2
          {{- end }}
          lifecycle:
            preStop:
              sleep:
                seconds: {{ .svc.shutdown.preStopSeconds }}
          resources:
            {{- toYaml .svc.resources | nindent 12 }}
          securityContext:
            runAsNonRoot: true
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
            seccompProfile:
              type: RuntimeDefault
          volumeMounts:
            - name: settings
              mountPath: /app/appsettings.Production.json
              subPath: appsettings.Production.json
              readOnly: true
            - name: tmp
              mountPath: /tmp
            {{- if $root.Values.tls.enabled }}
            - name: tls
              mountPath: /etc/stockcast/tls
              readOnly: true
            {{- end }}
            {{- with .svc.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        - name: settings
          configMap:
            name: {{ include "stockcast.serviceName" . }}-settings
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
        {{- if $root.Values.tls.enabled }}
        - name: tls
          secret:
            secretName: {{ $root.Values.tls.secretName }}
            defaultMode: 0440
        {{- end }}
        {{- with .svc.extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with .svc.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .svc.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .svc.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "stockcast.selectorLabels" . | nindent 14 }}
{{- end -}}

{{- define "stockcast.service.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "stockcast.serviceName" . }}
  labels:
    {{- include "stockcast.serviceLabels" . | nindent 4 }}
    stockcast.io/metrics: "true"
spec:
  type: ClusterIP
  selector:
    {{- include "stockcast.selectorLabels" . | nindent 4 }}
  ports:
    - name: grpc
      port: {{ .svc.ports.grpc }}
      targetPort: grpc
      appProtocol: {{ ternary "https" "kubernetes.io/h2c" .root.Values.tls.enabled }}
    - name: http
      port: {{ .svc.ports.http }}
      targetPort: http
    - name: management
      port: {{ .svc.ports.management }}
      targetPort: management
{{- if .svc.headless }}
---
# Headless: one DNS record per ready pod, for clients that balance gRPC calls across pods themselves.
apiVersion: v1
kind: Service
metadata:
  name: {{ include "stockcast.serviceName" . }}-headless
  labels:
    {{- include "stockcast.serviceLabels" . | nindent 4 }}
spec:
  clusterIP: None
  selector:
    {{- include "stockcast.selectorLabels" . | nindent 4 }}
  ports:
    - name: grpc
      port: {{ .svc.ports.grpc }}
      targetPort: grpc
      appProtocol: {{ ternary "https" "kubernetes.io/h2c" .root.Values.tls.enabled }}
{{- end }}
{{- end -}}

{{- define "stockcast.service.autoscaling" -}}
{{- if .svc.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "stockcast.serviceName" . }}
  labels:
    {{- include "stockcast.serviceLabels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "stockcast.serviceName" . }}
  minReplicas: {{ .svc.autoscaling.minReplicas }}
  maxReplicas: {{ .svc.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .svc.autoscaling.targetCPUUtilizationPercentage }}
  behavior:
    # Long-lived streams re-balance only as clients reconnect: scale down slowly.
    scaleDown:
      stabilizationWindowSeconds: 600
      policies:
        - type: Pods
          value: 1
          periodSeconds: 120
{{- end }}
{{- if .svc.pdb.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "stockcast.serviceName" . }}
  labels:
    {{- include "stockcast.serviceLabels" . | nindent 4 }}
spec:
  {{- if .svc.pdb.maxUnavailable }}
  maxUnavailable: {{ .svc.pdb.maxUnavailable }}
  {{- else }}
  minAvailable: {{ .svc.pdb.minAvailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "stockcast.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end -}}

{{- define "stockcast.service.serviceMonitor" -}}
{{- $root := .root -}}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "stockcast.serviceName" . }}
  labels:
    {{- include "stockcast.serviceLabels" . | nindent 4 }}
    {{- with $root.Values.metrics.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "stockcast.selectorLabels" . | nindent 6 }}
      stockcast.io/metrics: "true"
  endpoints:
    # Metrics answer on the management port only (the public port says 404).
    - port: management
      path: /metrics
      interval: {{ $root.Values.metrics.serviceMonitor.interval }}
      scrapeTimeout: {{ $root.Values.metrics.serviceMonitor.scrapeTimeout }}
      # The alert rules and the dashboard select by these two labels, whatever the release is called.
      relabelings:
        - action: replace
          targetLabel: stockcast_service
          replacement: {{ .name }}
        - action: replace
          targetLabel: region
          replacement: {{ $root.Values.region | quote }}
{{- end -}}

{{- define "stockcast.service.networkPolicy" -}}
{{- $root := .root -}}
{{- $grpcFrom := list -}}
{{- range .svc.callers -}}
{{- $grpcFrom = append $grpcFrom (dict "podSelector" (dict "matchLabels" (fromYaml (include "stockcast.selectorLabels" (dict "root" $root "name" .))))) -}}
{{- end -}}
{{- $grpcFrom = concat $grpcFrom $root.Values.networkPolicy.internalCallers -}}
{{- $httpFrom := .svc.httpFrom -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "stockcast.serviceName" . }}
  labels:
    {{- include "stockcast.serviceLabels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "stockcast.selectorLabels" . | nindent 6 }}
  policyTypes: [Ingress]
  ingress:
    {{- if $grpcFrom }}
    # gRPC: only the named services of this release and the configured internal callers.
    - ports:
        - port: grpc
      from:
        {{- toYaml $grpcFrom | nindent 8 }}
    {{- end }}
    {{- if .svc.public }}
    # Public: the overlay pages and their streams, from anywhere; the HTTP port serves nothing else.
    - ports:
        - port: http
    {{- else if $httpFrom }}
    - ports:
        - port: http
      from:
        {{- toYaml $httpFrom | nindent 8 }}
    {{- end }}
    {{- with $root.Values.networkPolicy.metricsFrom }}
    # Management (metrics, health): only the monitoring namespace, whatever the service.
    - ports:
        - port: management
      from:
        {{- toYaml . | nindent 8 }}
    {{- end }}
{{- end -}}
