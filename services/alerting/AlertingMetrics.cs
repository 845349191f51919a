using Prometheus;

namespace Stockcast.Alerting;

/// <summary>The alerting service's Prometheus metrics, created once per host (tests count exactly).</summary>
public sealed class AlertingMetrics(IMetricFactory metrics)
{
    public Counter Alerts { get; } = metrics.CreateCounter(
        "stockcast_alerting_alerts_total",
        "Alert notifications by type (raised, escalated, resolved, acknowledged), kind and severity.",
        ["type", "kind", "severity"]);

    public Gauge Firing { get; } = metrics.CreateGauge(
        "stockcast_alerting_firing_alerts",
        "Alerts firing now (as the leader sees them).");

    public Counter Deliveries { get; } = metrics.CreateCounter(
        "stockcast_alerting_deliveries_total",
        "Notification deliveries per sink by outcome: delivered, failed (retried), refused (given up), trimmed (the sink fell behind the log).",
        ["sink", "outcome"]);

    public Histogram DeliveryLatency { get; } = metrics.CreateHistogram(
        "stockcast_alerting_delivery_latency_seconds",
        "From an alert's raise/update to its delivery by a sink.",
        new HistogramConfiguration { LabelNames = ["sink"], Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] });

    public Histogram EvaluationSeconds { get; } = metrics.CreateHistogram(
        "stockcast_alerting_rule_evaluation_seconds",
        "Time to evaluate every rule of one SKU.",
        new HistogramConfiguration { Buckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1] });

    public Counter Evaluations { get; } = metrics.CreateCounter(
        "stockcast_alerting_rule_evaluations_total",
        "SKU evaluations (every rule of one SKU in every room and market it is in).");

    public Histogram StockChangeToAlertSeconds { get; } = metrics.CreateHistogram(
        "stockcast_alerting_stock_change_to_alert_seconds",
        "From a ledger change reaching this service to the alert it caused being in the notification log.",
        new HistogramConfiguration { Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });

    public Counter Signals { get; } = metrics.CreateCounter(
        "stockcast_alerting_signals_total",
        "Sales and demand signals by source (grpc, dapr) and outcome: accepted, duplicate, rejected (dropped for good).",
        ["source", "outcome"]);

    public Gauge IsLeader { get; } = metrics.CreateGauge(
        "stockcast_alerting_leader",
        "1 on the replica that evaluates and delivers.");
}
