{{/*
The alerting rules: the one source of the chart's PrometheusRule and of the plain rule file
grafana/alerts.yaml (rendered from this by k8s/render.sh). Each alert has a summary and a runbook line.
*/}}
{{- define "nodepulse.alertGroups" -}}
{{- $sel := include "nodepulse.alertSelector" . -}}
{{- $p := .Values.prometheusRule -}}
groups:
  - name: nodepulse
    rules:
      - alert: NodepulseNodeCpuHigh
        expr: nodepulse_cpu_usage_avg1m_ratio{ {{- $sel -}} } > {{ $p.cpuHighRatio }}
        for: {{ $p.cpuHighFor }}
        labels:
          severity: warning
        annotations:
          summary: {{ printf "Node {{ $labels.node }} ({{ $labels.instance }}) has used more than %v%% of its CPU for %s." (round (mulf $p.cpuHighRatio 100) 1) $p.cpuHighFor | quote }}
          runbook: "Open the node's live page (kubectl port-forward, see the chart's notes) and look at the busiest processes; move or limit the workloads, or add nodes."
      - alert: NodepulseTasksFailing
        expr: sum by (job, node, target) (increase(nodepulse_task_runs_total{ {{- $sel -}} ,outcome=~"failed|timeout|denied"}[10m])) > 0
        for: {{ $p.taskFailuresFor }}
        labels:
          severity: warning
        annotations:
          summary: {{ "{{ $value | humanize }} {{ $labels.target }} task runs failed on node {{ $labels.node }} in the last 10 minutes." | quote }}
          runbook: "kubectl get dtask -A shows each task's status.lastRun.error; fix the target or the task spec (a denied run hit the destination policy)."
      - alert: NodepulseTaskRunsLate
        expr: histogram_quantile(0.9, sum by (job, node, le) (rate(nodepulse_task_lateness_seconds_bucket{ {{- $sel -}} }[10m]))) > {{ $p.lateSeconds }} or sum by (job, node) (increase(nodepulse_task_runs_total{ {{- $sel -}} ,outcome="missed"}[10m])) > 0
        for: {{ $p.lateFor }}
        labels:
          severity: warning
        annotations:
          summary: {{ printf "Task runs on node {{ $labels.node }} start more than %vs after they are due, or are missed." $p.lateSeconds | quote }}
          runbook: "The agent is short of run slots or CPU: check nodepulse_tasks by phase and the agent's CPU limit, raise --max-concurrent-runs, or spread the tasks out."
      - alert: NodepulseTaskNotSucceeding
        expr: (time() - max by (job, namespace, name) (nodepulse_task_last_success_timestamp_seconds{ {{- $sel -}} })) > {{ $p.notSucceedingIntervals }} * max by (job, namespace, name) (nodepulse_task_interval_seconds{ {{- $sel -}} })
        for: {{ $p.notSucceedingFor }}
        labels:
          severity: warning
        annotations:
          summary: {{ printf "Task {{ $labels.namespace }}/{{ $labels.name }} has not succeeded for {{ $value | humanizeDuration }}: more than %v of its intervals." $p.notSucceedingIntervals | quote }}
          runbook: "kubectl get dtask -n <namespace> <name> -o yaml (or GET /api/v1/tasks/<namespace>/<name>/runs on an agent) shows the last runs' outcomes and errors; fix the target or the task, or look for missed runs."
      - alert: NodepulseTaskRunsSkippedOrMissed
        expr: sum by (job, node, target) (increase(nodepulse_task_runs_total{ {{- $sel -}} ,outcome=~"missed|skipped"}[{{ $p.missedWindow }}])) > 0
        labels:
          severity: warning
        annotations:
          summary: {{ printf "{{ $value | humanize }} {{ $labels.target }} task runs due on node {{ $labels.node }} were not run (missed or skipped) in the last %s." $p.missedWindow | quote }}
          runbook: "Each missed run's due time and why (past its startingDeadline, the agent down or held) is in the task's runs (GET /api/v1/tasks/<namespace>/<name>/runs, outcome MISSED); check the agent's health and its run slots (--max-concurrent-runs), or widen the task's startingDeadline. Skipped due times came while a run of the task was still going (concurrencyPolicy: Forbid; status.lastSkipped): the task takes longer than its interval."
      - alert: NodepulseAgentDown
        expr: up{ {{- $sel -}} } == 0
        for: {{ $p.downFor }}
        labels:
          severity: critical
        annotations:
          summary: {{ "The nodepulse agent {{ $labels.instance }} on node {{ $labels.node }} does not answer scrapes." | quote }}
          runbook: "kubectl -n <namespace> describe pod and kubectl logs on that node's agent pod; a 401 or 403 in the scrape error means Prometheus' token is not bound to the metrics-reader ClusterRole."
      - alert: NodepulseAgentNotScraped
        expr: absent(up{ {{- $sel -}} })
        for: {{ $p.downFor }}
        labels:
          severity: critical
        annotations:
          summary: {{ "No nodepulse agent is scraped at all." | quote }}
          runbook: "Check that the DaemonSet has pods (kubectl get ds) and that Prometheus selects the ServiceMonitor (its labels, serviceMonitor.labels) or has a scrape job for them."
{{- end }}
